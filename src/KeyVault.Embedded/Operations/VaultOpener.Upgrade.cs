using System.Security.Cryptography;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Storage.Legacy;

namespace KeyVault.Embedded.Operations;

/// <summary>The upgrade of a format-1 file at open (see <c>docs/key-hierarchy-and-format.md</c> §9).</summary>
internal static partial class VaultOpener
{
    private static async Task<(IRootKey, MetadataKeys, IRollbackAnchor?, VaultCore)> UpgradeAsync(LiteDbRecordStore store, EmbeddedVaultOptions options, IRootKeyProvider provider, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var content = store.ReadFormatOne();
        var old = content.Header;
        if (old.Format != 1)
        {
            throw VaultErrors.FormatInvalid(options.Location, $"its format version is {old.Format}; this library reads version {VaultHeader.CurrentFormat} and upgrades version 1");
        }

        if (!string.Equals(old.RootKind, provider.Kind, StringComparison.Ordinal))
        {
            throw VaultErrors.RootKeyMismatch($"the vault is sealed under a root of kind '{old.RootKind}' and the configured root is of kind '{provider.Kind}'");
        }

        var root = await provider.OpenAsync(new RootKeyContext(old.VaultId, old.RootParameters), cancellationToken).ConfigureAwait(false);
        MetadataKeys? keys = null;
        IRollbackAnchor? anchor = null;
        try
        {
            await FormatOneUpgrade.UnwrapKeysAsync(content, root, ring, cancellationToken).ConfigureAwait(false);
            var converted = FormatOneUpgrade.Convert(content, ring);
            keys = await KeysAsync(root, old.VaultId, ring, cancellationToken).ConfigureAwait(false);
            anchor = OpenAnchor(options, root, old.VaultId);
            if (anchor is not null && ReadAnchor(anchor) is not null)
            {
                // Only a format-2 vault writes an anchor: format-1 files under an existing anchor are a copy from before the
                // upgrade (or another vault's files) put back.
                throw VaultErrors.RollbackDetected($"the {anchor.Description} records a vault already upgraded to format 2, and the files are a format-1 copy");
            }

            var header = new VaultHeader(VaultHeader.CurrentFormat, old.VaultId, old.Created, old.Retention, old.PurgeProtection, old.Kek,
                new RootDescriptor(old.RootKind, old.RootParameters), keys.RootCheck(), Anchored: anchor is not null);
            var manifest = Manifest.Empty(keys.BucketKey);
            var transaction = new VaultTransaction(manifest, header);
            transaction.Put(header);
            foreach (var kek in content.Keks)
            {
                transaction.Insert(new KekRecord(kek.Version, kek.Wrapped, kek.Created));
            }

            foreach (var obj in converted.Objects)
            {
                transaction.Put(obj);
            }

            foreach (var (owner, version) in converted.Versions)
            {
                transaction.Put(owner, version);
            }

            foreach (var setting in converted.Settings)
            {
                transaction.Put(setting);
            }

            // One LiteDB transaction writes format 2 and removes format 1: a crash leaves one or the other, whole.
            transaction.Erase = true;
            var (staged, commit) = VaultWriter.Prepare(manifest, transaction, keys);
            try
            {
                store.CommitUpgrade(commit);
            }
            catch (StoreConflictException ex)
            {
                throw new VaultIntegrityException($"The format-1 vault '{options.Location}' holds a format-2 record where its upgrade writes one: the file was altered. Nothing was written.", ex);
            }
            manifest.Apply(staged);
            var core = NewCore(store, manifest, header, ring, root, keys, anchor, options);
            core.AdvanceAnchor();
            return (root, keys, anchor, core);
        }
        catch
        {
            keys?.Dispose();
            anchor?.Dispose();
            root.Dispose();
            ring.Dispose();
            throw;
        }
    }
}
