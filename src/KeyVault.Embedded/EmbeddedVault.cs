using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Secrets;

namespace KeyVault.Embedded;

/// <summary>
/// An open vault: one encrypted LiteDB file under a key hierarchy, owned by this instance until it is disposed.
/// </summary>
/// <remarks>
/// <para>Key hierarchy: the root (<see cref="EmbeddedVaultOptions.RootKey"/>) wraps the vault's versioned
/// key-encryption keys (RFC 3394); those seal every record with AES-256-GCM under a per-record key, bound to the vault,
/// object type, name, version and attributes. Rotating the root re-wraps only the key-encryption keys.</para>
/// <para>Integrity: every record read from the file is checked against an authenticated manifest of all records
/// before any of it is used, so an edited, removed, moved or older record is an integrity error, never other data or
/// "not found". See <c>docs/</c> for the format and what each guarantee covers.</para>
/// <para>One owner at a time: a second open of the same file, from this or another process, fails with
/// <c>VaultInUse</c>. Every member is thread-safe. Every change is on disk (fsync) when its task completes.</para>
/// </remarks>
public sealed partial class EmbeddedVault : IAsyncDisposable, IDisposable
{
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly KeyAdministration _keyAdministration;

    private EmbeddedVault(VaultCore core)
    {
        _core = core;
        _lifecycle = new ObjectLifecycle(core);
        _operations = new OperationPipeline(core);
        _keyAdministration = new KeyAdministration(core, _lifecycle);
        Secrets = new SecretStore(core, _lifecycle, _operations);
        Access = new Access.VaultAccessControl(core, _operations);
        Keys = new KeyStore(core, _lifecycle, _operations);
        Certificates = new CertificateStore(core, _lifecycle, _operations);
    }

    /// <summary>The shared per-vault state (for the hosting integration in this assembly).</summary>
    internal VaultCore Core => _core;

    /// <summary>The shared lifecycle (for the hosting integration in this assembly).</summary>
    internal ObjectLifecycle Lifecycle => _lifecycle;

    /// <summary>The secrets of this vault.</summary>
    public ISecretStore Secrets { get; }

    /// <summary>Who may do what in this vault: Azure's role-based access control or access policies.</summary>
    public Access.IVaultAccessControl Access { get; }

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
    /// Opens the vault at <see cref="EmbeddedVaultOptions.Path"/>, creating it when the file is missing (and upgrading a
    /// file of format 1 in place).
    /// </summary>
    /// <param name="options">Path, root key and (for a new vault) retention and purge protection.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open vault; dispose it to release the file.</returns>
    /// <exception cref="VaultException">
    /// <c>BadParameter</c> for invalid options; <c>VaultInUse</c> when another owner has the file open;
    /// <c>RootKeyMismatch</c> when the root key does not open the vault; <c>RootKeyUnavailable</c> when the root key
    /// cannot be read; <c>VaultFormatInvalid</c> when the file is not a vault; <c>IntegrityCheckFailed</c> when the file
    /// was altered or damaged; <c>RollbackDetected</c> when the files are older than the rollback anchor;
    /// <c>InsecureFile</c> for a symbolic link, another user's file or one open to others. In each case the files are
    /// left unchanged.
    /// </exception>
    public static async Task<EmbeddedVault> OpenAsync(EmbeddedVaultOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        cancellationToken.ThrowIfCancellationRequested();
        var (rootProvider, ownsRootProvider) = options.ResolveRoot();
        try
        {
            return new EmbeddedVault(await VaultOpener.OpenAsync(options, rootProvider, cancellationToken).ConfigureAwait(false));
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

    /// <summary>
    /// Runs the code inside the returned scope (and everything it awaits) as <paramref name="principal"/>: access
    /// control checks its operations against that principal. Dispose the scope to return to the previous caller.
    /// </summary>
    /// <param name="principal">The caller.</param>
    /// <returns>The scope.</returns>
    public IDisposable RunAs(Access.VaultPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return _core.Access.RunAs(principal);
    }

    /// <summary>
    /// Gives the operations inside the returned scope (and everything they await) a correlation id for their audit
    /// records, when no <see cref="System.Diagnostics.Activity"/> is current (whose trace id comes first). Dispose the
    /// scope to return to the previous one.
    /// </summary>
    /// <param name="correlationId">1 to 128 printable ASCII characters (a request id, a GUID).</param>
    /// <returns>The scope.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when the id is empty, too long or not printable ASCII.</exception>
    public IDisposable UseCorrelationId(string correlationId) => Audit.AuditTrail.UseCorrelationId(correlationId);

    /// <summary>Turns purge protection on for good: from now on no deleted object can be purged before its scheduled purge date.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the setting is on disk.</returns>
    public Task EnablePurgeProtectionAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.VaultEnablePurgeProtection, null, null, (_core, cancellationToken), static s =>
            s._core.Writer.WriteAsync(tx =>
            {
                if (!tx.Header.PurgeProtection)
                {
                    tx.Put(tx.Header with { PurgeProtection = true });
                }

                return ValueTask.FromResult(true);
            }, s.cancellationToken), cancellationToken).AsTask();

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

        return _operations.RunAsync(VaultOperation.VaultCheckExpiry, null, null, (this, nearExpiryWindow, cancellationToken), static s =>
            new ExpiryMonitor(s.Item1._core, s.Item1._lifecycle).CheckAsync(s.nearExpiryWindow, s.cancellationToken), cancellationToken).AsTask();
    }

    /// <summary>
    /// Purges every deleted object whose scheduled purge date has come (the end of retention), whatever purge
    /// protection says. The hosting integration calls this on a schedule.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>How many objects were purged.</returns>
    public Task<int> PurgeDueDeletedObjectsAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.VaultPurgeDue, null, null, (this, cancellationToken), static async s =>
            (await s.Item1._core.Writer.WriteAsync(tx => s.Item1._lifecycle.PurgeDueAsync(tx, s.cancellationToken), s.cancellationToken).ConfigureAwait(false)).Count,
            cancellationToken).AsTask();

    /// <summary>
    /// Rotates the vault's key-encryption key: adds a new version (wrapped by the root) that seals new records and
    /// authenticates every commit from now on, re-seals every stored version under it in small batches while the
    /// vault keeps serving, then retires every older version: its wrap is erased from the files and its key zeroed, so
    /// it can neither read nor forge anything afterwards. This is the recovery from a leaked key-encryption key.
    /// </summary>
    /// <param name="progress">Receives the re-seal's progress (versions done of versions to do); also logged.</param>
    /// <param name="cancellationToken">
    /// Cancels between batches: what was re-sealed stays so, the old versions stay live, and calling this again finishes.
    /// </param>
    /// <returns>The new key-encryption key version.</returns>
    public Task<int> RotateKeyEncryptionKeyAsync(IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.VaultRotateKeyEncryptionKey, null, null, (this, progress, cancellationToken), static async s =>
            await s.Item1._keyAdministration.RotateKeyEncryptionKeyAsync(s.progress, s.cancellationToken).ConfigureAwait(false), cancellationToken).AsTask();

    /// <summary>
    /// Moves the vault to a new root: every key-encryption key is re-wrapped by <paramref name="newRoot"/> and the
    /// header records the new root, in one durable transaction; the old wraps are erased. Records are not
    /// re-encrypted. From then on only the new root opens the vault.
    /// </summary>
    /// <param name="newRoot">The new root (of the same or another kind).</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the new root is in effect and on disk.</returns>
    public Task RotateRootKeyAsync(IRootKeyProvider newRoot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newRoot);
        return _operations.RunAsync(VaultOperation.VaultRotateRootKey, null, null, (this, newRoot, cancellationToken), static async s =>
        {
            await s.Item1._keyAdministration.RotateRootKeyAsync(s.newRoot, s.cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).AsTask();
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

    /// <summary>
    /// Brings this instance's view up to every commit that other instances of a shared vault (one kept in a database)
    /// had made when the call began, so that the reads after it see them. Without it they are seen within the store's
    /// poll interval (at once, usually: each commit notifies the other instances); this instance's own writes are seen
    /// by its reads at once. Does nothing for a vault in a file, which has one owner.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the view is current.</returns>
    /// <exception cref="VaultException">
    /// <c>StorageUnavailable</c> when the database cannot be reached; <c>RollbackDetected</c> when it went back to an
    /// older state than this instance has seen (the instance then refuses writes); <c>IntegrityCheckFailed</c> when what
    /// it holds fails its checks.
    /// </exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        await _core.Writer.RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opened through <see cref="Hosting.SharedVaults"/>: only its last lease closes it.</summary>
    internal bool IsShared { get; set; }

    /// <summary>
    /// The health check's probe, as one operation through the operation path (authorized, counted, audited like any
    /// other): the root wraps a random key, a small durable write, the expiry counts.
    /// </summary>
    internal Task<Hosting.VaultHealth> ProbeHealthAsync(TimeSpan nearExpiryWindow, Hosting.VaultHealth.Throttled<Exception?> writes, Hosting.VaultHealth.Throttled<(int Near, int Expired)> expiry, CancellationToken cancellationToken) =>
        _operations.RunAsync(VaultOperation.VaultHealthProbe, null, null, (this, nearExpiryWindow, writes, expiry, cancellationToken), static s =>
            new ValueTask<Hosting.VaultHealth>(Hosting.VaultHealth.ProbeAsync(s.Item1._core, s.Item1._lifecycle, s.nearExpiryWindow, s.writes, s.expiry, s.cancellationToken)), cancellationToken).AsTask();

    /// <summary>Key administration (for the health check: a re-seal in progress).</summary>
    internal KeyAdministration KeyAdministration => _keyAdministration;

    internal void Close()
    {
        // The records still waiting for their window are made durable before the store closes.
        if (_core.Audit is { } audit && !_core.IsDisposed)
        {
            audit.FlushAsync().GetAwaiter().GetResult();
        }

        _core.Dispose();
        _keyAdministration.Dispose();
    }

    /// <summary>
    /// Proves that another set of options names this vault's root: its root (when it is not the very object this vault
    /// was opened with) must compute the vault's root check value. Used when a second user in the process shares this
    /// open vault, so a wrong root is the same clear <c>RootKeyMismatch</c> as at open.
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
        try
        {
            if (!string.Equals(header.Root.Kind, provider.Kind, StringComparison.Ordinal))
            {
                throw VaultErrors.RootKeyMismatch($"the vault is sealed under a root of kind '{header.Root.Kind}' and the configured root is of kind '{provider.Kind}'");
            }

            root = await provider.OpenAsync(new RootKeyContext(header.VaultId, header.Root.Parameters), cancellationToken).ConfigureAwait(false);
            var binding = await root.DeriveKeyAsync(Integrity.MetadataKeys.BindingContext, cancellationToken).ConfigureAwait(false);
            using var keys = new Integrity.MetadataKeys(header.VaultId, binding, new KeyEncryptionKeyRing());
            if (!keys.MatchesRoot(header.RootCheck))
            {
                throw VaultErrors.RootKeyMismatch("its root check value does not match (a different key, passphrase or token key)");
            }

            // A token anchor asked for here and not by the first user (or the other way round) would not be kept.
            using var tokenAnchor = string.IsNullOrWhiteSpace(options.AnchorPath) && !options.VerifyOnly ? (root as Integrity.IRollbackAnchorSource)?.OpenAnchor(header.VaultId) : null;
            if (string.IsNullOrWhiteSpace(options.AnchorPath) && (tokenAnchor is not null) != (_core.Anchoring.Anchor is not null))
            {
                throw VaultErrors.BadParameter(
                    $"The vault is already open in this process {(_core.Anchoring.Anchor is null ? "without a rollback anchor" : "with a rollback anchor")}, and this root {(tokenAnchor is null ? "keeps none" : "asks for the token's anchor")} (Pkcs11RootKeyOptions.UseTokenAnchor): give every user of the vault the same anchor options.");
            }
        }
        finally
        {
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

    private static void Validate(EmbeddedVaultOptions options)
    {
        foreach (var (setting, problem) in options.Problems())
        {
            throw VaultErrors.BadParameter($"EmbeddedVaultOptions.{setting.Replace(':', '.')} {problem}");
        }
    }
}
