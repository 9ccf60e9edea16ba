using System.Security.Cryptography;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>
/// Changes to the key hierarchy, one at a time: a new key-encryption key with every record re-sealed under it and the
/// old ones retired; a new root. Each step is an ordinary commit through the vault's writer, so readers and writers
/// carry on throughout.
/// </summary>
internal sealed class KeyAdministration : IDisposable
{
    /// <summary>Versions re-sealed per commit: small enough that writers waiting behind one barely notice.</summary>
    private const int ResealBatch = 128;
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public KeyAdministration(VaultCore core, ObjectLifecycle lifecycle)
    {
        _core = core;
        _lifecycle = lifecycle;
    }

    /// <summary>What a running re-seal has done, for the health check (null when none runs).</summary>
    public VaultProgress? Resealing { get; private set; }

    /// <summary>
    /// Adds a key-encryption key version and makes it current, re-seals every version record under it (in batches, each
    /// its own commit), then retires every older version: its wrap is erased from the files and its key zeroed, so it
    /// can neither read nor authenticate anything from then on. Resumable: a rotation cut short by a crash leaves old
    /// versions live, and the next rotation (or <see cref="RetireAsync"/>) finishes their retirement.
    /// </summary>
    public async Task<int> RotateKeyEncryptionKeyAsync(IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var version = await AddVersionAsync(cancellationToken).ConfigureAwait(false);
            await ResealAndRetireAsync(version, progress, cancellationToken).ConfigureAwait(false);
            return version;
        }
        finally
        {
            Resealing = null;
            _gate.Release();
        }
    }

    /// <summary>Re-seals what is not under the current key-encryption key and retires the older versions.</summary>
    public async Task RetireAsync(IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ResealAndRetireAsync(_core.Ring.CurrentVersion, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Resealing = null;
            _gate.Release();
        }
    }

    /// <summary>
    /// Moves the vault to a new root: every key-encryption key is re-wrapped by <paramref name="newRoot"/>, the header
    /// records the new root and its check value, and from this commit on the metadata is authenticated with keys derived
    /// from the new root. The old wraps are erased from the files.
    /// </summary>
    public async Task RotateRootKeyAsync(IRootKeyProvider newRoot, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        IRootKey? opened = null;
        MetadataKeys? keys = null;
        try
        {
            var vaultId = _core.Header.VaultId;
            opened = await newRoot.OpenAsync(new RootKeyContext(vaultId, null), cancellationToken).ConfigureAwait(false);
            await RequireSameTokenForHardwareKeysAsync(opened, cancellationToken).ConfigureAwait(false);
            keys = await Operations.VaultOpener.KeysAsync(opened, vaultId, _core.Ring, cancellationToken).ConfigureAwait(false);
            var rewrapped = new List<KekRecord>();
            var now = _core.Now();
            foreach (var version in _core.Ring.Versions)
            {
                var copy = KeyMaterial.PinnedCopy(_core.Ring.Get(version));
                try
                {
                    rewrapped.Add(new KekRecord(version, await opened.WrapKeyAsync(copy, cancellationToken).ConfigureAwait(false), now));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(copy);
                }
            }

            var newKeys = keys;
            var newOpened = opened;
            var newAnchor = _core.Anchoring.AnchorFor(opened);
            await _core.Writer.WriteAsync(tx =>
            {
                // Erase: the key-encryption keys wrapped by the old root must leave the files now, or a copy of the file
                // plus the old root would still open the vault.
                tx.Erase = true;
                tx.RewriteManifest = true;
                foreach (var kek in rewrapped)
                {
                    tx.Rewrap(kek);
                }

                tx.Put(tx.Header with
                {
                    Root = new RootDescriptor(newRoot.Kind, new Dictionary<string, string>(newOpened.Parameters, StringComparer.Ordinal)),
                    RootCheck = newKeys.RootCheck(),
                });
                tx.ReplacementKeys = newKeys;
                tx.ReplacementAnchor = newAnchor;
                tx.OnCommitted(() =>
                {
                    var previousRoot = _core.Root;
                    var previousKeys = _core.Keys;
                    _core.Root = newOpened;
                    _core.Keys = newKeys;
                    _core.Anchoring.Replace(newAnchor);
                    newAnchor = null;
                    previousRoot.Dispose();
                    previousKeys.Dispose();
                });
                return ValueTask.FromResult(true);
            }, WriteMode.Alone, cancellationToken).ConfigureAwait(false);
            opened = null;
            keys = null;
            newAnchor?.Dispose();
        }
        finally
        {
            keys?.Dispose();
            opened?.Dispose();
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<int> AddVersionAsync(CancellationToken cancellationToken)
    {
        var version = 0;
        byte[]? key = null;
        try
        {
            await _core.Writer.WriteAsync(async tx =>
            {
                // Numbered under the write lock, after catching up: on a shared store another instance may have added
                // versions since this one last looked, and a number must never be taken twice.
                version = _core.Ring.LatestVersion + 1;
                key = KeyMaterial.NewKey();
                var wrapped = await _core.Root.WrapKeyAsync(key, cancellationToken).ConfigureAwait(false);

                // In the ring before the commit (it must authenticate the commit that makes it current), current after it.
                var owned = key;
                key = null;
                _core.Ring.Add(version, owned);
                tx.Insert(new KekRecord(version, wrapped, tx.Now));
                tx.Put(tx.Header with { CurrentKekVersion = version });
                tx.OnCommitted(() => _core.Ring.SetCurrent(version));
                return true;
            }, WriteMode.Alone, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (key is not null)
            {
                CryptographicOperations.ZeroMemory(key);
            }

            if (version > 0 && _core.Ring.CurrentVersion != version && !_core.Ring.Get(version).IsEmpty)
            {
                _core.Ring.Retire(version);
                _core.Keys.Forget(version);
            }

            throw;
        }

        _core.Telemetry.Logger.LogInformation(VaultLogEvents.VaultOperation, "Key-encryption key version {Version} is current; re-sealing the vault's records under it.", version);
        return version;
    }

    private async Task ResealAndRetireAsync(int current, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        var pending = await StaleVersionsAsync(current, cancellationToken).ConfigureAwait(false);
        long done = 0;
        Report(progress, done, pending.Count);
        foreach (var batch in pending.Chunk(ResealBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            done += await _core.Writer.WriteAsync(async tx =>
            {
                var count = 0;
                foreach (var (type, name, version) in batch)
                {
                    // Looked up again inside the transaction: the version may have been updated or purged meanwhile.
                    if (tx.Index(type, name) is not { } index || !index.TryGetVersion(version, out var entry))
                    {
                        continue;
                    }

                    var found = await tx.ObjectVersionAsync(index, entry, cancellationToken).ConfigureAwait(false);
                    if (SealedUnder(found.Stored) != current)
                    {
                        tx.Put(found.Object, _lifecycle.Reseal(found));
                        count++;
                    }
                }

                return (long)count;
            }, cancellationToken).ConfigureAwait(false);
            Report(progress, done, pending.Count);
        }

        var retired = new List<int>();
        await _core.Writer.WriteAsync(async tx =>
        {
            // Decided under the write lock, on the vault as every instance left it: the versions other than the one the
            // header makes current now (another instance may have rotated meanwhile), and only when no record is
            // sealed under one of them any more.
            var now = tx.Header.CurrentKekVersion;
            retired = _core.Ring.Versions.Where(v => v != now).ToList();
            if (retired.Count == 0)
            {
                return false;
            }

            if ((await StaleVersionsAsync(now, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, "Records sealed under an older key-encryption key appeared during the re-seal (or another instance rotated meanwhile); run the rotation again.");
            }

            {
                tx.Erase = true;
                tx.RewriteManifest = true;
                foreach (var version in retired)
                {
                    tx.DeleteKek(version);
                }

                tx.OnCommitted(() =>
                {
                    foreach (var version in retired)
                    {
                        _core.Ring.Retire(version);
                        _core.Keys.Forget(version);
                    }
                });
                return true;
            }
        }, WriteMode.Alone, cancellationToken).ConfigureAwait(false);
        if (retired.Count > 0)
        {
            _core.Telemetry.Logger.LogInformation(VaultLogEvents.VaultOperation, "Key-encryption key version(s) {Versions} retired: their wraps are erased and no record is sealed under them.", string.Join(", ", retired));
        }
    }

    /// <summary>Every version record not sealed under <paramref name="current"/>.</summary>
    private async ValueTask<List<(ObjectType Type, string Name, string Version)>> StaleVersionsAsync(int current, CancellationToken cancellationToken)
    {
        var stale = new List<(ObjectType, string, string)>();
        foreach (var type in Enum.GetValues<ObjectType>())
        {
            foreach (var index in _core.Manifest.Objects(type))
            {
                foreach (var entry in index.Versions)
                {
                    var version = await _core.Reader.VersionAsync(entry, cancellationToken).ConfigureAwait(false);
                    if (SealedUnder(version) != current)
                    {
                        stale.Add((type, index.Name, entry.Version));
                    }
                }
            }
        }

        return stale;
    }

    private static int SealedUnder(StoredVersion version) =>
        version.Sealed.Length >= RecordSealer.HeaderSize ? RecordSealer.KekVersion(version.Sealed) : -1;

    private void Report(IProgress<VaultProgress>? progress, long done, long total)
    {
        var state = new VaultProgress(VaultProgress.RotateKeyEncryptionKey, done, total);
        Resealing = state;
        progress?.Report(state);
        _core.Telemetry.Logger.LogInformation(VaultLogEvents.VaultOperation, "Re-sealing under the current key-encryption key: {Done} of {Total} versions.", done, total);
    }

    /// <summary>
    /// Keys generated in a token cannot leave it: while the vault holds any (active or deleted), its root may move only
    /// to another key in that same token.
    /// </summary>
    private async ValueTask RequireSameTokenForHardwareKeysAsync(IRootKey newRoot, CancellationToken cancellationToken)
    {
        var current = (_core.Root as IHardwareKeys)?.TokenIdentity;
        if (current is null || (newRoot as IHardwareKeys)?.TokenIdentity == current)
        {
            return;
        }

        var count = 0;
        foreach (var type in (ObjectType[])[ObjectType.Key, ObjectType.CertificateOperation])
        {
            foreach (var index in _core.Manifest.Objects(type))
            {
                foreach (var version in await _core.Reader.VersionsAsync(index, cancellationToken).ConfigureAwait(false))
                {
                    count += version.Attributes.Key?.HsmReference is null ? 0 : 1;
                }
            }
        }

        if (count > 0)
        {
            throw VaultErrors.BadParameter(
                $"The vault holds {count} key version(s) generated in token {current}; they cannot leave it, so the root can move only to another key in that token. Purge those keys first.");
        }
    }
}
