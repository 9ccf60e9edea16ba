using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// A certificate creation, as Azure's <c>CertificateOperation</c>. With issuer Self or a vault issuer it has completed
/// before <see cref="ICertificateStore.StartCreateCertificateAsync(string, CertificatePolicy, bool?, IDictionary{string, string}, CancellationToken)"/>
/// returns; with issuer Unknown it stays in progress, holding a certificate signing request
/// (<see cref="CertificateOperationProperties.Csr"/>), until the signed certificate is merged
/// (<see cref="ICertificateStore.MergeCertificateAsync"/>) or the operation is cancelled or deleted.
/// <see cref="Operation{T}.WaitForCompletionAsync(CancellationToken)"/> polls the vault until then.
/// </summary>
public sealed class CertificateOperation : Operation<KeyVaultCertificateWithPolicy>
{
    /// <summary>The status when the certificate is issued.</summary>
    public const string Completed = "completed";

    /// <summary>The status while a signed certificate is awaited.</summary>
    public const string InProgress = "inProgress";

    /// <summary>The status after cancellation.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>
    /// The status when the issuer failed: here, an issuer of an outside CA's provider, which the vault does not reach
    /// (<see cref="CertificateOperationProperties.Error"/> says so). Its CSR can still be signed and merged.
    /// </summary>
    public const string Failed = "failed";

    private readonly CertificateStore _store;
    private readonly TimeProvider _clock;
    private volatile CertificateOperationProperties _properties;
    private volatile bool _deleted;

    // The version the pending request will become once merged: a certificate read as completed is this operation's
    // result only if it is that version (else the request was deleted and the certificate is an older one).
    private string? _pendingVersion;

    /// <summary>
    /// The operation of certificate <paramref name="name"/>, to be read by <see cref="UpdateStatusAsync"/> (or cancelled or
    /// deleted without reading it first), as Azure's <c>new CertificateOperation(client, name)</c>.
    /// </summary>
    /// <param name="client">The vault's certificate store (<see cref="EmbeddedVault.Certificates"/>).</param>
    /// <param name="name">The certificate's name.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="client"/> is not a vault's certificate store.</exception>
    public CertificateOperation(ICertificateStore client, string name)
        : this(client as CertificateStore ?? throw new ArgumentException("The client must be a vault's certificate store (EmbeddedVault.Certificates).", nameof(client)), name)
    {
    }

    private CertificateOperation(CertificateStore store, string name)
        : this(store, store.Clock, new OperationState(new CertificateOperationProperties(name ?? throw new ArgumentNullException(nameof(name)), store.VaultUri, WellKnownIssuerNames.Unknown, null, null, false), null, null))
    {
    }

    internal CertificateOperation(CertificateStore store, TimeProvider clock, OperationState state)
        : base(state.Properties.Id?.ToString() ?? state.Properties.Name, state.Value)
    {
        _store = store;
        _clock = clock;
        _properties = state.Properties;
        _pendingVersion = state.PendingVersion;
    }

    /// <summary>The operation's state as last read.</summary>
    public CertificateOperationProperties Properties => _properties;

    /// <summary>Whether the operation has ended: completed, cancelled or deleted.</summary>
    public override bool HasCompleted => _deleted || _properties.Status is Completed or Cancelled or Failed;

    /// <summary>The issued certificate.</summary>
    /// <exception cref="OperationCanceledException">The operation was cancelled, so it has no value (as in Azure).</exception>
    /// <exception cref="InvalidOperationException">The operation has not completed, was deleted, or failed (as in Azure).</exception>
    public override KeyVaultCertificateWithPolicy Value
    {
        get
        {
            if (HasValue)
            {
                return base.Value;
            }

            if (_deleted)
            {
                throw new InvalidOperationException($"The certificate operation for '{_properties.Name}' was deleted, so no value is available.");
            }

            return _properties.Status switch
            {
                Cancelled => throw new OperationCanceledException($"The certificate operation for '{_properties.Name}' was cancelled, so no value is available."),
                Failed => throw new InvalidOperationException($"The certificate operation failed: {_properties.Error?.Message}"),
                _ => base.Value,
            };
        }
    }

    private protected override TimeProvider Clock => _clock;

    /// <summary>Reads the operation's state again; once it has completed, <see cref="Value"/> is the certificate.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public override void UpdateStatus(CancellationToken cancellationToken = default) => Sync.Wait(UpdateStatusAsync(cancellationToken));

    /// <summary>Reads the operation's state again; once it has completed, <see cref="Value"/> is the certificate.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the state is read.</returns>
    public override async ValueTask UpdateStatusAsync(CancellationToken cancellationToken = default)
    {
        if (_deleted || HasValue)
        {
            return;
        }

        try
        {
            var fresh = await _store.ReadOperationAsync(_properties.Name, cancellationToken).ConfigureAwait(false);
            if (fresh.Value is { } certificate)
            {
                if (_pendingVersion is not null && certificate.Properties.Version != _pendingVersion)
                {
                    // The request this operation tracked is gone and the current certificate is an older one.
                    _deleted = true;
                    return;
                }

                SetValue(certificate); // before the status, so that whoever sees it completed finds the value
            }

            _pendingVersion ??= fresh.PendingVersion;
            _properties = fresh.Properties;
        }
        catch (VaultObjectNotFoundException)
        {
            // Deleted (with or without its certificate): done, with no value, as Azure's operation after a 404.
            _deleted = true;
        }
    }

    /// <summary>Cancels the operation while it waits for a signed certificate.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    public void Cancel(CancellationToken cancellationToken = default) => Sync.Wait(CancelAsync(cancellationToken));

    /// <summary>Cancels the operation while it waits for a signed certificate.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the cancellation is on disk.</returns>
    public async Task CancelAsync(CancellationToken cancellationToken = default) =>
        _properties = (await _store.CancelOperationAsync(_properties.Name, cancellationToken).ConfigureAwait(false)).Properties;

    /// <summary>Deletes the operation (and its pending key); a certificate already issued stays.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    public void Delete(CancellationToken cancellationToken = default) => Sync.Wait(DeleteAsync(cancellationToken));

    /// <summary>Deletes the operation (and its pending key); a certificate already issued stays.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the deletion is on disk.</returns>
    public async Task DeleteAsync(CancellationToken cancellationToken = default)
    {
        _properties = (await _store.DeleteOperationAsync(_properties.Name, cancellationToken).ConfigureAwait(false)).Properties;
        _deleted = true;
    }

    /// <summary>Name and status.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"CertificateOperation {{ Name = {Properties.Name}, Status = {Properties.Status} }}";
}
