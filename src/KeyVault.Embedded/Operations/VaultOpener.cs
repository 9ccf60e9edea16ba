using System.Security.Cryptography;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Storage.Legacy;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// Opens a vault: creates it in an empty store, upgrades a format-1 file, or authenticates an existing one before
/// anything in it is used. Nothing is written until the root is proven and every check has passed, so a failed open
/// leaves the files exactly as they were.
/// </summary>
/// <remarks>
/// The order of an open is forced by what depends on what: the header names the root (read before it can be checked);
/// the root's binding key checks the header's root check value (a wrong root is told apart from an altered file);
/// the root unwraps the key-encryption keys; the current one keys the manifest's MAC; the verified manifest then
/// vouches for the header and key-encryption key records themselves, and for every record read afterwards.
/// </remarks>
internal static partial class VaultOpener
{
    public static async Task<VaultCore> OpenAsync(EmbeddedVaultOptions options, IRootKeyProvider provider, CancellationToken cancellationToken)
    {
        var store = options.StoreFactory?.Invoke(options.Path)
            ?? (options.StoreProvider is { } provided ? await provided.OpenAsync(cancellationToken).ConfigureAwait(false) : LiteDbRecordStore.Open(options.Path));
        try
        {
            return await OpenAsync(store, options, provider, cancellationToken).ConfigureAwait(false);
        }
        catch (CreateRaceLost) when (options.StoreProvider is not null)
        {
            // Another instance created the vault while this one did: open what it created (this one wrote nothing).
            store = await options.StoreProvider!.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await OpenAsync(store, options, provider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An open found a shared store empty and created a vault, and another instance's creation committed first.</summary>
    private sealed class CreateRaceLost(Exception inner) : Exception("Another instance created the vault first.", inner);

    private static async ValueTask<bool> CreatedElsewhereAsync(IRecordStore store, Exception failure)
    {
        if (store is not ISharedRecordStore shared || failure is OperationCanceledException)
        {
            return false;
        }

        try
        {
            return (await shared.ReadHeadAsync(CancellationToken.None).ConfigureAwait(false)).Generation > 0;
        }
        catch (VaultException)
        {
            return false;
        }
    }

    private static async Task<VaultCore> OpenAsync(IRecordStore store, EmbeddedVaultOptions options, IRootKeyProvider provider, CancellationToken cancellationToken)
    {
        var ring = new KeyEncryptionKeyRing();
        IRootKey? root = null;
        MetadataKeys? keys = null;
        IRollbackAnchor? anchor = null;
        VaultCore? core = null;

        // On a shared store other instances commit meanwhile: what authenticates the vault is read in one snapshot.
        IRecordStore reads = store is ISharedRecordStore shared ? await shared.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false) : store;
        try
        {
            var stored = await reads.ReadAsync(RecordIds.Header, cancellationToken).ConfigureAwait(false);
            if (stored is not null && !string.Equals(stored.Key, RecordKeys.Header, StringComparison.Ordinal))
            {
                throw new VaultIntegrityException($"The record at the header's place in '{options.Location}' is '{stored.Key}': the file was altered.");
            }

            if (stored?.Value is not { } raw)
            {
                if (store is LiteDbRecordStore { HoldsFormatOne: true } formatOne)
                {
                    if (!options.AllowFormatUpgrade)
                    {
                        throw VaultErrors.FormatInvalid(options.Location, "it is a format-1 vault, and EmbeddedVaultOptions.AllowFormatUpgrade is false; set it to true to upgrade the file to format 2 in place (one transaction, crash-safe), then use it with this version only");
                    }

                    (root, keys, anchor, core) = await UpgradeAsync(formatOne, options, provider, ring, cancellationToken).ConfigureAwait(false);
                }
                else if (!await reads.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
                {
                    // A store with records but no header is damaged (or was edited): creating a vault there would write
                    // a new key ring over the old one and lose every secret.
                    throw VaultErrors.HeaderMissing(options.Location);
                }
                else
                {
                    if (reads is IStoreSnapshot { Head.Generation: > 0 and var generation })
                    {
                        // The database says the vault made commits, and holds none of its records: they were deleted.
                        throw VaultErrors.RollbackDetected($"the database holds the head of vault '{options.Location}' at generation {generation}, but none of its records (they were deleted); a new vault is not created in their place");
                    }

                    (root, keys, anchor, core) = await CreateAsync(store, options, provider, ring, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                (root, keys, anchor, core) = await AuthenticateAsync(store, reads, raw, options, provider, ring, cancellationToken).ConfigureAwait(false);
            }

            if (!ReferenceEquals(reads, store))
            {
                await reads.DisposeAsync().ConfigureAwait(false);
            }


            // Access control is a vault record like any other: read through the verified reader before the first operation.
            core.Access.Apply(await Access.AccessControl.ReadAsync(new VaultSettings(core), cancellationToken).ConfigureAwait(false));
            await StartAuditAsync(core, options, cancellationToken).ConfigureAwait(false);
            if (options.EnablePurgeProtection && !core.Header.PurgeProtection)
            {
                await Audit.AuditTrail.RecordAsync(core, VaultOperation.VaultEnablePurgeProtection, async () => await core.Writer.WriteAsync(tx =>
                {
                    tx.Put(tx.Header with { PurgeProtection = true });
                    return ValueTask.FromResult(true);
                }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            }

            core.StartWatching();
            core.Telemetry.Opened(core.Header.VaultId, options.Location);
            return core;
        }
        catch
        {
            if (core is not null)
            {
                core.Dispose();
            }
            else
            {
                keys?.Dispose();
                root?.Dispose();
                anchor?.Dispose();
                ring.Dispose();
                store.Dispose();
            }

            if (!ReferenceEquals(reads, store))
            {
                await reads.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The kinds of root this library and its packages make (<see cref="IRootKeyProvider.Kind"/>).</summary>
    private static readonly HashSet<string> KnownRootKinds = new(StringComparer.Ordinal) { SoftwareRootKey.KeyKind, SoftwareRootKey.PassphraseKind, "pkcs11" };

    /// <summary>Starts the audit trail when it is on (once: before the first change the open itself makes).</summary>
    private static async ValueTask StartAuditAsync(VaultCore core, EmbeddedVaultOptions options, CancellationToken cancellationToken)
    {
        if (core.Audit is null && options.Audit is { Enabled: true } audit)
        {
            core.Audit = new Audit.AuditTrail(core, audit, options.LoggerFactory);
            await core.Audit.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static VaultCore NewCore(IRecordStore store, Manifest manifest, VaultHeader header, KeyEncryptionKeyRing ring, IRootKey root, MetadataKeys keys, IRollbackAnchor? anchor, EmbeddedVaultOptions options) =>
        new(store, manifest, header, ring, root, keys, anchor, next => OpenAnchor(options, next, header.VaultId), options.TimeProvider, options.CacheCapacity, new VaultTelemetry(options.LoggerFactory, options.MeterFactory), options.VaultUri)
        {
            Access = new Access.AccessControl(options.CallerAccessor),
        };

    internal static IRollbackAnchor? OpenAnchor(EmbeddedVaultOptions options, IRootKey root, Guid vaultId) =>
        options.VerifyOnly ? null : !string.IsNullOrWhiteSpace(options.AnchorPath) ? new FileRollbackAnchor(options.AnchorPath) : (root as IRollbackAnchorSource)?.OpenAnchor(vaultId);

    /// <summary>The vault's metadata keys from a root's binding key: a binding of the wrong length is <c>RootKeyUnavailable</c>.</summary>
    internal static async ValueTask<MetadataKeys> KeysAsync(IRootKey root, Guid vaultId, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var binding = await root.DeriveKeyAsync(MetadataKeys.BindingContext, cancellationToken).ConfigureAwait(false);
        if (binding.Length != 32)
        {
            CryptographicOperations.ZeroMemory(binding);
            throw VaultErrors.RootKeyUnavailable($"the root derived a key of {binding.Length} bytes; 32 are needed");
        }

        return new MetadataKeys(vaultId, binding, ring);
    }

    private static async Task<(IRootKey, MetadataKeys, IRollbackAnchor?, VaultCore)> CreateAsync(IRecordStore store, EmbeddedVaultOptions options, IRootKeyProvider provider, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var vaultId = Guid.NewGuid();
        var root = await provider.OpenAsync(new RootKeyContext(vaultId, null), cancellationToken).ConfigureAwait(false);
        MetadataKeys? keys = null;
        IRollbackAnchor? anchor = null;
        try
        {
            keys = await KeysAsync(root, vaultId, ring, cancellationToken).ConfigureAwait(false);
            anchor = OpenAnchor(options, root, vaultId);
            if (anchor?.Read() is not null)
            {
                // The files are gone but their anchor is not: refuse to start an empty vault in their place.
                throw VaultErrors.RollbackDetected($"the vault's files are missing, but the {anchor.Description} records a vault that existed; a new vault is not created over it");
            }

            var kek = KeyMaterial.NewKey();
            byte[] wrapped;
            try
            {
                wrapped = await root.WrapKeyAsync(kek, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(kek);
                throw;
            }

            ring.Add(1, kek);
            ring.SetCurrent(1);
            var now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            var header = new VaultHeader(
                VaultHeader.CurrentFormat,
                vaultId,
                now,
                options.SoftDeleteRetentionDays,
                options.EnablePurgeProtection,
                CurrentKekVersion: 1,
                new RootDescriptor(provider.Kind, new Dictionary<string, string>(root.Parameters, StringComparer.Ordinal)),
                keys.RootCheck(),
                Anchored: anchor is not null && store is not ISharedRecordStore,
                StoreName: (store as ISharedRecordStore)?.VaultName,
                Lineage: Guid.NewGuid());
            var core = NewCore(store, Manifest.Empty(keys.BucketKey), header, ring, root, keys, anchor, options);
            try
            {
                await core.Writer.WriteAsync(tx =>
                {
                    tx.Put(header);
                    tx.Insert(new KekRecord(1, wrapped, now));
                    return ValueTask.FromResult(true);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var lost = await CreatedElsewhereAsync(store, ex).ConfigureAwait(false);
                core.Dispose();
                if (lost)
                {
                    throw new CreateRaceLost(ex);
                }

                throw;
            }

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

    private static async Task<(IRootKey, MetadataKeys, IRollbackAnchor?, VaultCore)> AuthenticateAsync(IRecordStore store, IRecordStore reads, byte[] raw, EmbeddedVaultOptions options, IRootKeyProvider provider, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        if (VaultHeader.PeekFormat(raw) is { } format && format != VaultHeader.CurrentFormat)
        {
            throw format > VaultHeader.CurrentFormat
                ? VaultErrors.FormatInvalid(options.Location, $"its format version is {format}; this library reads version {VaultHeader.CurrentFormat} (and upgrades version 1): open it with a newer version")
                : new VaultIntegrityException($"The header of '{options.Location}' declares format {format}, which no vault has written: the file was altered.");
        }

        var header = VaultHeader.DecodeForBootstrap(raw)
            ?? throw new VaultIntegrityException($"The header of '{options.Location}' is not readable: the file was altered or damaged.");
        if (!string.Equals(header.Root.Kind, provider.Kind, StringComparison.Ordinal))
        {
            // The header is authenticated by a key only its root derives, so its root kind is read before it can be checked:
            // a kind no root has is an edit; a known kind can still be one, which the message admits.
            if (!KnownRootKinds.Contains(header.Root.Kind))
            {
                throw new VaultIntegrityException($"The header of '{options.Location}' names a root kind no root has: the file was altered.");
            }

            throw VaultErrors.RootKeyMismatch($"the vault is sealed under a root of kind '{header.Root.Kind}' and the configured root is of kind '{provider.Kind}'");
        }

        // The manifest's buckets (the bulk of an open) are read while the root is opened and unwraps the keys: reading them
        // needs no key, and nothing read is used before it is checked.
        var kekRecords = await reads.ReadRangeAsync(RecordIds.FirstKek, RecordIds.LastKek, cancellationToken).ConfigureAwait(false);
        var bucketRead = Task.Run(() => reads.ReadRangeAsync(RecordIds.FirstBucket, RecordIds.LastBucket, cancellationToken).AsTask(), cancellationToken);
        IRootKey? root = null;
        MetadataKeys? keys = null;
        IRollbackAnchor? anchor = null;
        try
        {
            root = await provider.OpenAsync(new RootKeyContext(header.VaultId, header.Root.Parameters), cancellationToken).ConfigureAwait(false);
            keys = await KeysAsync(root, header.VaultId, ring, cancellationToken).ConfigureAwait(false);

            // The root is the right one when it computes the header's check value, or when it unwraps a key-encryption
            // key (RFC 3394 authenticates the wrap): then whatever fails to check is an altered file, not a wrong key.
            var rootMatches = keys.MatchesRoot(header.RootCheck);
            var keks = await UnwrapKeyEncryptionKeysAsync(kekRecords, root, ring, rootMatches, cancellationToken).ConfigureAwait(false);
            if (!rootMatches)
            {
                throw new VaultIntegrityException($"The header of '{options.Location}' failed its integrity check: its root check value was altered (the root itself unwraps the vault's keys).");
            }

            if (ring.Get(header.CurrentKekVersion).IsEmpty)
            {
                throw new VaultIntegrityException($"The vault's header names key-encryption key version {header.CurrentKekVersion}, which the vault does not hold: the file was altered.");
            }

            ring.SetCurrent(header.CurrentKekVersion);
            var (manifest, claimedKek) = Manifest.Load(await bucketRead.ConfigureAwait(false), keys);

            // The manifest vouches for the header and the key-encryption keys read before it could be checked.
            var verifiedHeader = VaultHeader.Decode(VerifiedRecord.Check(RecordKeys.Header, raw, manifest.TryGet(RecordKeys.Header, out var headerEntry) ? headerEntry.Hash : default));
            if (verifiedHeader.CurrentKekVersion != claimedKek)
            {
                throw new VaultIntegrityException("The vault's last commit is authenticated by another key-encryption key than its header names: the file was altered.");
            }

            if (store is ISharedRecordStore named && !string.Equals(verifiedHeader.StoreName, named.VaultName, StringComparison.Ordinal))
            {
                throw new VaultIntegrityException($"The database's vault '{named.VaultName}' holds the records of {(verifiedHeader.StoreName is null ? "a vault made elsewhere (a file)" : $"the vault '{verifiedHeader.StoreName}'")}: its rows were copied from another vault, or altered.");
            }

            var listed = manifest.KeysWithPrefix(RecordKeys.KekPrefix);
            if (!listed.SequenceEqual(keks.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                throw new VaultIntegrityException("The vault's key-encryption keys are not the ones its manifest lists (one was removed, added or put back): the file was altered.");
            }

            foreach (var (key, bytes) in keks)
            {
                VerifiedRecord.Check(key, bytes, manifest.TryGet(key, out var listedKek) ? listedKek.Hash : default);
            }

            anchor = OpenAnchor(options, root, header.VaultId);
            // On a shared store each instance keeps its own anchor (of the generations it saw), and the header's flag,
            // one for all instances, is not used: a missing anchor is seeded, not a sign of rollback.
            var isShared = store is ISharedRecordStore;
            var seed = anchor is not null && CheckAnchor(anchor, verifiedHeader, manifest, keys, isShared) && !isShared;
            var core = NewCore(store, manifest, verifiedHeader, ring, root, keys, anchor, options);
            try
            {
                if (seed)
                {
                    // First open with an anchor: record in the header that the vault is anchored (so a removed anchor is
                    // noticed), which commits and writes the anchor.
                    await StartAuditAsync(core, options, cancellationToken).ConfigureAwait(false);
                    // A new lineage with the first anchor: files from before it (another lineage) never open under it.
                    await ChangeAnchoringAsync(core, anchored: true, skipTo: null, cancellationToken).ConfigureAwait(false);
                }
                else if (anchor is not null)
                {
                    core.AdvanceAnchor();
                }
                else if (verifiedHeader.Anchored && !options.VerifyOnly && !isShared)
                {
                    if (!options.DropRollbackAnchor)
                    {
                        // Without its anchor this open cannot tell these files from an older copy, and going on would take
                        // such a copy up for good (its commit moves the files past the anchor). A forgotten option, or a
                        // tool that takes none, must not do that.
                        throw VaultErrors.AnchorNotConfigured();
                    }

                    // Opened deliberately without its anchor (the operator's way to take up an older copy, or to move the
                    // anchor): the vault is no longer anchored, so the next open with an anchor seeds a new one.
                    await StartAuditAsync(core, options, cancellationToken).ConfigureAwait(false);
                    // A new lineage: the anchor left behind never vouches for these files or their successors.
                    await ChangeAnchoringAsync(core, anchored: false, skipTo: null, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                core.Dispose();
                throw;
            }

            return (root, keys, anchor, core);
        }
        catch
        {
            // The store is disposed by the caller: let the bucket read finish first (its failure, if any, is not the story).
            await bucketRead.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            keys?.Dispose();
            anchor?.Dispose();
            root?.Dispose();
            ring.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The one way the header's anchored flag changes (first anchoring, a drop, a restore): a commit of its own, audited
    /// as an anchor change, that sets the flag and starts a new lineage (<see cref="VaultHeader.Lineage"/>). With
    /// <paramref name="skipTo"/> (a restore taking over an anchor) the commit first jumps to that generation, when it
    /// is further than the next.
    /// </summary>
    internal static async ValueTask ChangeAnchoringAsync(VaultCore core, bool anchored, long? skipTo, CancellationToken cancellationToken) =>
        await Audit.AuditTrail.RecordAsync(core, Audit.AuditTrail.AnchorChange, async () => await core.Writer.WriteAsync(tx =>
        {
            if (skipTo is { } generation && generation > core.Manifest.Generation + 1)
            {
                tx.SkipToGeneration(generation);
            }

            tx.Put(tx.Header with { Anchored = anchored, Lineage = Guid.NewGuid() });
            return ValueTask.FromResult(true);
        }, WriteMode.Alone, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Refuses a vault older than its anchor; returns whether the anchor must be seeded (first open with it).</summary>
    private static byte[]? ReadAnchor(IRollbackAnchor anchor)
    {
        try
        {
            return anchor.Read();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.StorageFailure($"the {anchor.Description} cannot be read ({ex.GetType().Name})", ex);
        }
    }

    private static bool CheckAnchor(IRollbackAnchor anchor, VaultHeader header, Manifest manifest, MetadataKeys keys, bool shared)
    {
        var bytes = ReadAnchor(anchor);

        if (bytes is null)
        {
            return header.Anchored && !shared
                ? throw VaultErrors.RollbackDetected($"the {anchor.Description} is missing, though this vault was anchored (the vault's files may be an older copy, and the anchor was removed)")
                : true;
        }

        var state = AnchorState.Decode(bytes, keys)
            ?? throw VaultErrors.RollbackDetected($"the {anchor.Description} was not written for this vault by its root (it belongs to another vault, or was altered)");
        if (state.VaultId == header.VaultId && state.Lineage != header.Lineage)
        {
            throw VaultErrors.RollbackDetected($"the vault's files are of another line of its history than the {anchor.Description} records: a copy of the vault a restore replaced, or of files from before the anchor was dropped (if the anchor is the one left behind when the vault was opened without it, remove it, and the next open anchors the vault anew)");
        }

        if (state.VaultId != header.VaultId || state.Generation > manifest.Generation)
        {
            throw VaultErrors.RollbackDetected($"the vault's files are at generation {manifest.Generation}, and the {anchor.Description} records generation {state.Generation}");
        }

        if (state.Generation == manifest.Generation && !state.Root.Equals(manifest.Root))
        {
            throw VaultErrors.RollbackDetected($"the vault's files at generation {manifest.Generation} hold other records than the {anchor.Description} records for that generation");
        }

        return !header.Anchored;
    }

    /// <summary>Unwraps every stored key-encryption key (not yet checked against the manifest: the caller does that next).</summary>
    private static async ValueTask<Dictionary<string, byte[]>> UnwrapKeyEncryptionKeysAsync(IReadOnlyList<StoredRecord> records, IRootKey root, KeyEncryptionKeyRing ring, bool rootMatches, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (records.Count == 0)
        {
            throw rootMatches
                ? new VaultIntegrityException("The vault holds no key-encryption key: the file was altered.")
                : VaultErrors.RootKeyMismatch("its root check value does not match (a different key, passphrase or token key)");
        }

        foreach (var record in records)
        {
            var kek = RecordIds.Fixed(record.Key) == record.Id ? KekRecord.TryDecodeUnverified(record.Key, record.Value) : null;
            byte[] unwrapped;
            try
            {
                unwrapped = kek is null ? throw new CryptographicException("malformed") : await root.UnwrapKeyAsync(kek.WrappedKey, cancellationToken).ConfigureAwait(false);
            }
            catch (CryptographicException ex)
            {
                // With neither the check value nor any wrap on its side, the root is most likely another one.
                throw rootMatches || stored.Count > 0
                    ? new VaultIntegrityException($"The vault's key-encryption key record '{record.Key}' does not unwrap under the vault's root: the record was altered.", ex)
                    : VaultErrors.RootKeyMismatch("it cannot unwrap the vault's key-encryption keys, and the header's root check value does not match (a different key, passphrase or token key)", ex);
            }

            try
            {
                if (unwrapped.Length != KeyMaterial.KeySize)
                {
                    throw new VaultIntegrityException($"The vault's key-encryption key version {kek!.Version} has the wrong length: the record was altered.");
                }

                ring.Add(kek!.Version, KeyMaterial.PinnedCopy(unwrapped));
            }
            catch (InvalidOperationException ex)
            {
                throw new VaultIntegrityException($"The vault holds key-encryption key version {kek!.Version} twice: the file was altered.", ex);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(unwrapped);
            }

            stored[record.Key] = record.Value;
        }

        return stored;
    }
}
