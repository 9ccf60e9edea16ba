using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

// A certificate's operation (Azure's pending object): read, cancelled, deleted. A pending one is an object of its own
// type (with its key and CSR); a completed one is the current version it issued, until deleted.
internal sealed partial class CertificateStore
{
    public async Task<CertificateOperation> GetCertificateOperationAsync(string certificateName, CancellationToken cancellationToken = default) =>
        ToOperation(await ReadOperationAsync(certificateName, cancellationToken).ConfigureAwait(false));

    /// <summary>The state of the certificate's operation (what <see cref="CertificateOperation.UpdateStatusAsync"/> reads).</summary>
    /// <remarks>
    /// As in Azure, an operation stays after it completes (status completed) until it is deleted or a new one replaces
    /// it; an imported version has none. Both are <c>PendingCertificateNotFound</c>.
    /// </remarks>
    internal Task<OperationState> ReadOperationAsync(string certificateName, CancellationToken cancellationToken) =>
        Run(VaultOperation.CertificatePendingGet, certificateName, (this, certificateName, cancellationToken), static async s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            if (self._core.Manifest.TryGetObject(Pending, s.certificateName, out _))
            {
                return self._models.ToOperation(await self._lifecycle.GetCurrentAsync(Pending, s.certificateName, s.cancellationToken).ConfigureAwait(false));
            }

            return self._models.Completed(self._models.ToCertificateWithPolicy(await self.CompletedOperationAsync(s.certificateName, s.cancellationToken).ConfigureAwait(false)));
        }, cancellationToken);

    /// <summary>The current version of a certificate whose completed operation is still there (not deleted, not imported).</summary>
    private async ValueTask<ObjectVersion> CompletedOperationAsync(string certificateName, CancellationToken cancellationToken)
    {
        ObjectVersion current;
        try
        {
            current = await _lifecycle.GetCurrentAsync(Type, certificateName, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException)
        {
            throw VaultErrors.NotFound(Pending, certificateName);
        }

        return HasOperation(current) ? current : throw VaultErrors.NotFound(Pending, certificateName);
    }

    /// <summary>As <see cref="CompletedOperationAsync(string, CancellationToken)"/>, as <paramref name="tx"/> sees it.</summary>
    private static async ValueTask<ObjectVersion> CompletedOperationAsync(VaultTransaction tx, string certificateName, CancellationToken cancellationToken)
    {
        if (tx.Index(Type, certificateName) is { } index)
        {
            var current = await tx.ObjectVersionAsync(index, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!current.Object.IsDeleted && HasOperation(current))
            {
                return current;
            }
        }

        throw VaultErrors.NotFound(Pending, certificateName);
    }

    private static bool HasOperation(ObjectVersion certificate) => certificate.Attributes.Certificate?.NoOperation != true;

    /// <summary>
    /// Cancels a pending operation: it stays, cancelled, until deleted or replaced by a new create. As in Azure, only an
    /// operation in progress can be cancelled: one completed or cancelled already is <c>Forbidden</c> (403, as Azure answers).
    /// </summary>
    internal Task<OperationState> CancelOperationAsync(string certificateName, CancellationToken cancellationToken) =>
        Run(VaultOperation.CertificatePendingUpdate, certificateName, (this, certificateName, cancellationToken), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return self._core.Writer.WriteAsync(async tx =>
            {
                if (tx.Index(Pending, s.certificateName) is null)
                {
                    await CompletedOperationAsync(tx, s.certificateName, s.cancellationToken).ConfigureAwait(false);
                    throw VaultErrors.OperationNotInProgress(s.certificateName, CertificateOperation.Completed);
                }

                var updated = (await self._lifecycle.UpdateAttributesAsync(tx, [Pending], s.certificateName, null, (_, current) =>
                {
                    var state = current.Certificate ?? throw VaultErrors.Integrity(Pending, s.certificateName, string.Empty);
                    return state.Status == CertificateOperation.InProgress
                        ? current with { Certificate = state with { Status = CertificateOperation.Cancelled } }
                        : throw VaultErrors.OperationNotInProgress(s.certificateName, state.Status);
                }, ObjectAccess.Certificate, cancellationToken: s.cancellationToken).ConfigureAwait(false))[0];
                return self._models.ToOperation(updated);
            }, s.cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Deletes a certificate's operation: a pending (or cancelled) one with its key; a completed one is only no longer
    /// shown (the certificate it issued stays), until a new operation replaces it.
    /// </summary>
    internal Task<OperationState> DeleteOperationAsync(string certificateName, CancellationToken cancellationToken) =>
        Run(VaultOperation.CertificatePendingDelete, certificateName, (this, certificateName, cancellationToken), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return self._core.Writer.WriteAsync(async tx =>
            {
                if (tx.Index(Pending, s.certificateName) is not { } index)
                {
                    await CompletedOperationAsync(tx, s.certificateName, s.cancellationToken).ConfigureAwait(false);
                    var updated = (await self._lifecycle.UpdateAttributesAsync(tx, [Type], s.certificateName, null, (_, current) =>
                        current with { Certificate = current.Certificate! with { NoOperation = true } }, ObjectAccess.Certificate, cancellationToken: s.cancellationToken).ConfigureAwait(false))[0];
                    return self._models.Completed(self._models.ToCertificateWithPolicy(updated));
                }

                var pending = await tx.ObjectVersionAsync(index, cancellationToken: s.cancellationToken).ConfigureAwait(false);
                if (pending.Object.IsDeleted)
                {
                    throw VaultErrors.NotFound(Pending, s.certificateName); // soft-deleted with its pending-only certificate
                }

                var operation = self._models.ToOperation(pending);
                await self._lifecycle.RemoveAsync(tx, Pending, s.certificateName, s.cancellationToken).ConfigureAwait(false);
                return operation;
            }, s.cancellationToken);
        }, cancellationToken);
}
