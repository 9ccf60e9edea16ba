using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded;

/// <summary>
/// An open vault: one encrypted LiteDB file under a key hierarchy, owned by this instance until it is disposed.
/// </summary>
/// <remarks>
/// <para>Key hierarchy: the root (<see cref="EmbeddedVaultOptions.RootKey"/>) wraps the vault's versioned
/// key-encryption keys (RFC 3394); those seal every record with AES-256-GCM under a per-record key, bound to the vault,
/// object type, name, version and attributes. Rotating the root re-wraps only the key-encryption keys.</para>
/// <para>One owner at a time: a second open of the same file, from this or another process, fails with
/// <c>VaultInUse</c>. Every member is thread-safe. Every change is on disk (fsync) when its task completes.</para>
/// </remarks>
public sealed class EmbeddedVault : IAsyncDisposable, IDisposable
{
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly SemaphoreSlim _keyAdministration = new(1, 1);

    private EmbeddedVault(VaultCore core)
    {
        _core = core;
        _lifecycle = new ObjectLifecycle(core);
        _operations = new OperationPipeline(core);
        Secrets = new SecretStore(core, _lifecycle, _operations);
        Keys = new KeyStore(core, _lifecycle, _operations);
        Certificates = new CertificateStore(core, _lifecycle, _operations);
    }

    /// <summary>The shared per-vault state (for the hosting integration in this assembly).</summary>
    internal VaultCore Core => _core;

    /// <summary>The shared lifecycle (for the hosting integration in this assembly).</summary>
    internal ObjectLifecycle Lifecycle => _lifecycle;

    /// <summary>The secrets of this vault.</summary>
    public ISecretStore Secrets { get; }

    /// <summary>The keys of this vault, and cryptography clients for them.</summary>
    public IKeyStore Keys { get; }

    /// <summary>The certificates of this vault, with their managed keys and secrets, issuers and contacts.</summary>
    public ICertificateStore Certificates { get; }

    /// <summary>
    /// The vault's events: new versions, updates, deletes, recoveries, purges, rotations, renewals (raised by the
    /// changes themselves), and near-expiry and expiry notices (raised by <c>AddEmbeddedVault</c>'s background service,
    /// or <see cref="CheckExpiryAsync"/>). Observers are called synchronously on the thread that made the change, after
    /// it is on disk; keep them short (hand work to a <c>Channel</c>). An observer that throws is logged and changes
    /// nothing. <c>OnCompleted</c> is called when the vault closes.
    /// </summary>
    public IObservable<VaultEvent> Events => _core.Events;

    /// <summary>The vault's id and settings, as recorded in its header now.</summary>
    public VaultProperties Properties
    {
        get
        {
            var header = _core.Header;
            return new VaultProperties(header.VaultId, _core.Uri, RecordAttributes.FromUnix(header.CreatedOn), header.SoftDeleteRetentionDays,
                header.PurgeProtection, header.Root.Kind, header.CurrentKekVersion);
        }
    }

    /// <summary>
    /// Opens the vault at <see cref="EmbeddedVaultOptions.Path"/>, creating it when the file is missing.
    /// </summary>
    /// <param name="options">Path, root key and (for a new vault) retention and purge protection.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open vault; dispose it to release the file.</returns>
    /// <exception cref="VaultException">
    /// <c>BadParameter</c> for invalid options; <c>VaultInUse</c> when another owner has the file open;
    /// <c>RootKeyMismatch</c> when the root key does not open the vault; <c>RootKeyUnavailable</c> when the root key
    /// cannot be read; <c>VaultFormatInvalid</c> when the file is not a vault. In each case the files are left unchanged.
    /// </exception>
    public static async Task<EmbeddedVault> OpenAsync(EmbeddedVaultOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        var (rootProvider, ownsRootProvider) = options.ResolveRoot();
        IRecordStore store;
        try
        {
            store = options.StoreFactory?.Invoke(options.Path) ?? LiteDbRecordStore.Open(options.Path);
        }
        catch
        {
            DisposeOwned(rootProvider, ownsRootProvider);
            throw;
        }

        var ring = new KeyEncryptionKeyRing();
        IRootKey? root = null;
        MetadataAuthenticator? authenticator = null;
        try
        {
            VaultHeader? header;
            try
            {
                header = store.ReadHeader();

                // A vault is created only in an empty store. A store with records but no header is damaged (or was
                // edited): re-creating a vault there would write a new key ring over the old one and lose every secret.
                if (header is null && !store.IsEmpty())
                {
                    throw VaultErrors.FormatInvalid(options.Path, "it holds data but no vault header (not a vault, or a damaged one); nothing was written");
                }
            }
            catch (Exception ex) when (ex is not VaultException)
            {
                throw VaultErrors.FormatInvalid(options.Path, "its header cannot be read", ex);
            }

            if (header is null)
            {
                store.EnableWrites();
                (header, root, authenticator) = await CreateAsync(store, options, rootProvider, ring, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (header.FormatVersion != VaultHeader.CurrentFormat)
                {
                    throw VaultErrors.FormatInvalid(options.Path, $"its format version is {header.FormatVersion}; this library reads version {VaultHeader.CurrentFormat}");
                }

                if (!string.Equals(header.Root.Kind, rootProvider.Kind, StringComparison.Ordinal))
                {
                    throw VaultErrors.RootKeyMismatch($"the vault is sealed under a root of kind '{header.Root.Kind}' and the configured root is of kind '{rootProvider.Kind}'");
                }

                root = await rootProvider.OpenAsync(new RootKeyContext(header.VaultId, header.Root.Parameters), cancellationToken).ConfigureAwait(false);
                await UnwrapKeyEncryptionKeysAsync(store.ReadKeks(), header, root, ring, cancellationToken).ConfigureAwait(false);
                authenticator = new MetadataAuthenticator(header.VaultId, ring.Get(1));
                authenticator.Verify(header);

                // Only now, with the root proven and the header authentic, may anything be written.
                store.EnableWrites();
                if (options.EnablePurgeProtection && !header.PurgeProtection)
                {
                    header = authenticator.Seal(header with { PurgeProtection = true });
                    store.Apply(new WriteBatch { Header = header });
                }
            }

            var telemetry = new VaultTelemetry(options.LoggerFactory, options.MeterFactory);
            telemetry.Opened(header.VaultId, options.Path);
            return new EmbeddedVault(new VaultCore(store, header, ring, root, authenticator, options.TimeProvider, options.CacheCapacity, telemetry));
        }
        catch
        {
            authenticator?.Dispose();
            root?.Dispose();
            ring.Dispose();
            store.Dispose();
            throw;
        }
        finally
        {
            // A root made from settings was needed only to open: the opened root holds its own copy of the key.
            DisposeOwned(rootProvider, ownsRootProvider);
        }
    }

    private static void DisposeOwned(IRootKeyProvider provider, bool owned)
    {
        if (owned && provider is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    /// <summary>Turns purge protection on for good: from now on no deleted object can be purged before its scheduled purge date.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the setting is on disk.</returns>
    public Task EnablePurgeProtectionAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.VaultEnablePurgeProtection, null, null, _core, static core =>
        {
            lock (core.Sync)
            {
                if (!core.Header.PurgeProtection)
                {
                    core.ApplyHeader(core.Header with { PurgeProtection = true }, new WriteBatch());
                }
            }

            return true;
        }, cancellationToken).AsTask();

    /// <summary>
    /// Raises <see cref="VaultEventType.NearExpiry"/> for current versions of secrets, keys and certificates (enabled,
    /// with an expiry) that expire within <paramref name="nearExpiryWindow"/>, and <see cref="VaultEventType.Expired"/>
    /// for those that have expired: each notice once per version, remembered across restarts. A certificate's managed
    /// key and secret are reported through the certificate. <c>AddEmbeddedVault</c>'s background service calls this.
    /// </summary>
    /// <param name="nearExpiryWindow">How long before expiry a version counts as near expiry (Azure: 30 days).</param>
    /// <param name="cancellationToken">Cancels the call before it starts.</param>
    /// <returns>The notices raised by this call.</returns>
    public Task<IReadOnlyList<VaultEvent>> CheckExpiryAsync(TimeSpan nearExpiryWindow, CancellationToken cancellationToken = default)
    {
        if (nearExpiryWindow < TimeSpan.Zero)
        {
            throw VaultErrors.BadParameter("The near-expiry window cannot be negative.");
        }

        return _operations.RunAsync(VaultOperation.VaultCheckExpiry, null, null, (this, nearExpiryWindow), static s =>
            new ExpiryMonitor(s.Item1._core, s.Item1._lifecycle).Check(s.nearExpiryWindow), cancellationToken).AsTask();
    }

    /// <summary>
    /// Purges every deleted object whose scheduled purge date has come (the end of retention), whatever purge
    /// protection says. The hosting integration calls this on a schedule.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>How many objects were purged.</returns>
    public Task<int> PurgeDueDeletedObjectsAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.VaultPurgeDue, null, null, _lifecycle, static lifecycle => lifecycle.PurgeDue().Count, cancellationToken).AsTask();

    /// <summary>
    /// Adds a new key-encryption key version, wrapped by the root, and seals new records under it. Records sealed
    /// under older versions stay readable; nothing is re-encrypted and the vault stays available throughout.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new key-encryption key version.</returns>
    public async Task<int> RotateKeyEncryptionKeyAsync(CancellationToken cancellationToken = default)
    {
        _operations.Run(VaultOperation.VaultRotateKeyEncryptionKey, null, null, 0, static _ => 0, cancellationToken);
        await _keyAdministration.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var key = KeyMaterial.NewKey();
            try
            {
                var wrapped = await _core.Root.WrapKeyAsync(key, cancellationToken).ConfigureAwait(false);
                lock (_core.Sync)
                {
                    _core.ThrowIfDisposed();
                    var version = _core.Ring.Versions.Count() + 1;
                    var batch = new WriteBatch();
                    batch.Keks.Add(new KekRecord(version, wrapped, _core.Now()));
                    _core.ApplyHeader(_core.Header with { CurrentKekVersion = version }, batch);
                    _core.Ring.Add(version, key);
                    key = null;
                    _core.Ring.SetCurrent(version);
                    return version;
                }
            }
            finally
            {
                if (key is not null)
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
        }
        finally
        {
            _keyAdministration.Release();
        }
    }

    /// <summary>
    /// Moves the vault to a new root: every key-encryption key is re-wrapped by <paramref name="newRoot"/> and the
    /// header records the new root, in one durable transaction. Records are not re-encrypted. From then on only the
    /// new root opens the vault.
    /// </summary>
    /// <param name="newRoot">The new root (of the same or another kind).</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the new root is in effect and on disk.</returns>
    public async Task RotateRootKeyAsync(IRootKeyProvider newRoot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newRoot);
        _operations.Run(VaultOperation.VaultRotateRootKey, null, null, 0, static _ => 0, cancellationToken);
        await _keyAdministration.WaitAsync(cancellationToken).ConfigureAwait(false);
        IRootKey? opened = null;
        try
        {
            opened = await newRoot.OpenAsync(new RootKeyContext(_core.Header.VaultId, null), cancellationToken).ConfigureAwait(false);
            RequireSameTokenForHardwareKeys(opened);
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

            lock (_core.Sync)
            {
                _core.ThrowIfDisposed();

                // Shred: the key-encryption keys wrapped by the old root must leave the log now, not at the next
                // checkpoint, or a copy of the file plus the old root would still open the vault.
                var batch = new WriteBatch { Shred = true };
                batch.Keks.AddRange(rewrapped);
                _core.ApplyHeader(_core.Header with { Root = new RootDescriptor(newRoot.Kind, new Dictionary<string, string>(opened.Parameters, StringComparer.Ordinal)) }, batch);
                var previous = _core.Root;
                _core.Root = opened;
                opened = null;
                previous.Dispose();
            }
        }
        finally
        {
            opened?.Dispose();
            _keyAdministration.Release();
        }
    }

    /// <summary>Closes the vault: checkpoints the log, releases the file, zeroes the keys held in memory.</summary>
    /// <remarks>
    /// A vault from <c>AddEmbeddedVault</c> or a configuration source belongs to the host: disposing it yourself does
    /// nothing, and it closes when the last of them lets go.
    /// </remarks>
    public void Dispose()
    {
        if (!IsShared)
        {
            Close();
        }
    }

    /// <summary>Opened through <see cref="Hosting.SharedVaults"/>: only its last lease closes it.</summary>
    internal bool IsShared { get; set; }

    internal void Close()
    {
        _core.Dispose();
        _keyAdministration.Dispose();
    }

    /// <summary>
    /// Proves that another set of options names this vault's root: its root (when it is not the very object this vault
    /// was opened with) must unwrap the vault's first key-encryption key to the same bytes. Used when a second user in
    /// the process shares this open vault, so a wrong root is the same clear <c>RootKeyMismatch</c> as at open.
    /// </summary>
    internal async Task VerifyRootAsync(EmbeddedVaultOptions options, IRootKeyProvider? openedWith, CancellationToken cancellationToken)
    {
        if (options.RootKey is not null && ReferenceEquals(options.RootKey, openedWith))
        {
            return;
        }

        var header = _core.Header;
        var (provider, owned) = options.ResolveRoot();
        IRootKey? root = null;
        byte[]? unwrapped = null;
        try
        {
            if (!string.Equals(header.Root.Kind, provider.Kind, StringComparison.Ordinal))
            {
                throw VaultErrors.RootKeyMismatch($"the vault is sealed under a root of kind '{header.Root.Kind}' and the configured root is of kind '{provider.Kind}'");
            }

            KekRecord first;
            lock (_core.Sync)
            {
                _core.ThrowIfDisposed();
                first = _core.Store.ReadKeks().Single(k => k.Version == 1);
            }

            root = await provider.OpenAsync(new RootKeyContext(header.VaultId, header.Root.Parameters), cancellationToken).ConfigureAwait(false);
            try
            {
                unwrapped = await root.UnwrapKeyAsync(first.WrappedKey, cancellationToken).ConfigureAwait(false);
            }
            catch (CryptographicException ex)
            {
                throw VaultErrors.RootKeyMismatch("it cannot unwrap the vault's key-encryption key version 1 (a different key, passphrase or token key)", ex);
            }

            if (!CryptographicOperations.FixedTimeEquals(unwrapped, _core.Ring.Get(1)))
            {
                throw VaultErrors.RootKeyMismatch("it unwraps the vault's key-encryption key to different bytes");
            }
        }
        finally
        {
            if (unwrapped is not null)
            {
                CryptographicOperations.ZeroMemory(unwrapped);
            }

            root?.Dispose();
            DisposeOwned(provider, owned);
        }
    }

    /// <summary>Closes the vault (see <see cref="Dispose"/>).</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The vault id; never key material.</summary>
    public override string ToString() => $"EmbeddedVault({_core.Header.VaultId:N})";

    /// <summary>
    /// Keys generated in a token cannot leave it: while the vault holds any (active or deleted), its root may move only
    /// to another key in that same token.
    /// </summary>
    private void RequireSameTokenForHardwareKeys(IRootKey newRoot)
    {
        var current = (_core.Root as IHardwareKeys)?.TokenIdentity;
        if (current is null || (newRoot as IHardwareKeys)?.TokenIdentity == current)
        {
            return;
        }

        List<VersionRecord> versions;
        lock (_core.Sync)
        {
            versions = [.. _core.Store.FindVersions(ObjectType.Key.PathSegment())];
        }

        var count = versions.Count(v => System.Text.Json.JsonSerializer.Deserialize(v.Attributes, RecordJsonContext.Default.RecordAttributes)?.Key?.HsmReference is not null);
        if (count > 0)
        {
            throw VaultErrors.BadParameter(
                $"The vault holds {count} key version(s) generated in token {current}; they cannot leave it, so the root can move only to another key in that token. Purge those keys first.");
        }
    }

    private static void Validate(EmbeddedVaultOptions options)
    {
        foreach (var (setting, problem) in options.Problems())
        {
            throw VaultErrors.BadParameter($"EmbeddedVaultOptions.{setting.Replace(':', '.')} {problem}");
        }
    }

    private static async Task<(VaultHeader, IRootKey, MetadataAuthenticator)> CreateAsync(IRecordStore store, EmbeddedVaultOptions options, IRootKeyProvider rootProvider, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var vaultId = Guid.NewGuid();
        var root = await rootProvider.OpenAsync(new RootKeyContext(vaultId, null), cancellationToken).ConfigureAwait(false);
        var key = KeyMaterial.NewKey();
        try
        {
            var wrapped = await root.WrapKeyAsync(key, cancellationToken).ConfigureAwait(false);
            var now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            var header = new VaultHeader(
                VaultHeader.CurrentFormat,
                vaultId,
                now,
                options.SoftDeleteRetentionDays,
                options.EnablePurgeProtection,
                CurrentKekVersion: 1,
                new RootDescriptor(rootProvider.Kind, new Dictionary<string, string>(root.Parameters, StringComparer.Ordinal)));
            var authenticator = new MetadataAuthenticator(vaultId, key);
            header = authenticator.Seal(header);
            var batch = new WriteBatch { Header = header };
            batch.Keks.Add(new KekRecord(1, wrapped, now));
            try
            {
                store.Apply(batch);
            }
            catch
            {
                authenticator.Dispose();
                throw;
            }

            ring.Add(1, key);
            key = null;
            ring.SetCurrent(1);
            return (header, root, authenticator);
        }
        catch
        {
            root.Dispose();
            throw;
        }
        finally
        {
            if (key is not null)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static async Task UnwrapKeyEncryptionKeysAsync(IReadOnlyList<KekRecord> keks, VaultHeader header, IRootKey root, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var ordered = keks.OrderBy(k => k.Version).ToList();
        if (ordered.Count == 0 || ordered.Select(k => k.Version).Where((v, i) => v != i + 1).Any() || header.CurrentKekVersion < 1 || header.CurrentKekVersion > ordered.Count)
        {
            throw new VaultIntegrityException("The vault's key-encryption key ring is incomplete: the file was altered.");
        }

        foreach (var kek in ordered)
        {
            byte[] unwrapped;
            try
            {
                unwrapped = await root.UnwrapKeyAsync(kek.WrappedKey, cancellationToken).ConfigureAwait(false);
            }
            catch (CryptographicException ex)
            {
                throw VaultErrors.RootKeyMismatch(
                    $"it cannot unwrap the vault's key-encryption key version {kek.Version} (a different key, passphrase or token key)", ex);
            }

            try
            {
                if (unwrapped.Length != KeyMaterial.KeySize)
                {
                    throw new VaultIntegrityException($"The vault's key-encryption key version {kek.Version} has the wrong length.");
                }

                ring.Add(kek.Version, KeyMaterial.PinnedCopy(unwrapped));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(unwrapped);
            }
        }

        ring.SetCurrent(header.CurrentKekVersion);
    }
}
