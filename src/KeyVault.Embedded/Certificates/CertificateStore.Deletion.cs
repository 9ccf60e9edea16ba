using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

// A certificate's soft delete, recovery and purge. A certificate whose only version is pending (its request waits
// for an outside CA) is soft-deleted too, as Azure's: its operation object, with its key and CSR, is what is deleted,
// listed among the deleted certificates with includePending, recovered or purged (its key destroyed).
internal sealed partial class CertificateStore
{
    public async Task<DeleteCertificateOperation> StartDeleteCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        new(await DeleteAsync(certificateName, cancellationToken).ConfigureAwait(false));

    private Task<DeletedCertificate> DeleteAsync(string certificateName, CancellationToken cancellationToken) =>
        Run(VaultOperation.For(Type, VaultOperation.Lifecycle.Delete), certificateName, (this, certificateName, cancellationToken), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            return self._core.Writer.WriteAsync(async tx =>
            {
                if (IsPendingName(tx, s.certificateName))
                {
                    try
                    {
                        return self.ToDeletedPending(await self._lifecycle.DeleteAsync(tx, Pending, s.certificateName, ObjectAccess.Certificate, [], s.cancellationToken).ConfigureAwait(false));
                    }
                    catch (VaultObjectNotFoundException)
                    {
                        throw VaultErrors.NotFound(Type, s.certificateName); // deleted already
                    }
                }

                var deleted = await self._lifecycle.DeleteAsync(tx, Type, s.certificateName, ObjectAccess.Certificate, Managed, s.cancellationToken).ConfigureAwait(false);

                // A certificate that has versions takes its pending operation (a renewal's request) with it, and its
                // key, in the same commit: as in Azure, the operation has no deleted state of its own then.
                if (tx.Index(Pending, s.certificateName) is not null)
                {
                    await self._lifecycle.RemoveAsync(tx, Pending, s.certificateName, s.cancellationToken).ConfigureAwait(false);
                }

                return self._models.ToDeleted(deleted);
            }, s.cancellationToken);
        }, cancellationToken);

    public Task<DeletedCertificate> GetDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.For(Type, VaultOperation.Lifecycle.GetDeleted), certificateName, (this, certificateName, cancellationToken), static async s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            return self.IsPendingName(s.certificateName)
                ? self.ToDeletedPending(await DeletedPendingAsync(() => self._lifecycle.GetDeletedAsync(Pending, s.certificateName, s.cancellationToken), s.certificateName).ConfigureAwait(false))
                : self._models.ToDeleted(await self._lifecycle.GetDeletedAsync(Type, s.certificateName, s.cancellationToken).ConfigureAwait(false));
        }, cancellationToken);

    public IAsyncEnumerable<DeletedCertificate> GetDeletedCertificatesAsync(bool includePending = false, CancellationToken cancellationToken = default) =>
        includePending ? ListDeletedWithPendingAsync(cancellationToken) : _shared.ListDeletedAsync(_models.ToDeleted, cancellationToken);

    private async IAsyncEnumerable<DeletedCertificate> ListDeletedWithPendingAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listed = await Run(VaultOperation.For(Type, VaultOperation.Lifecycle.ListDeleted), null, (this, cancellationToken), static async s =>
        {
            var self = s.Item1;
            var deleted = (await self._lifecycle.ListDeletedAsync(Type, s.cancellationToken).ConfigureAwait(false)).Select(self._models.ToDeleted).ToList();
            foreach (var pending in await self._lifecycle.ListDeletedAsync(Pending, s.cancellationToken).ConfigureAwait(false))
            {
                if (self.IsPendingName(pending.Name))
                {
                    deleted.Add(self.ToDeletedPending(pending));
                }
            }

            return deleted;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var certificate in listed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return certificate;
        }
    }

    public async Task<RecoverDeletedCertificateOperation> StartRecoverDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        new(await Run(VaultOperation.For(Type, VaultOperation.Lifecycle.Recover), certificateName, (this, certificateName, cancellationToken), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            return self._core.Writer.WriteAsync(async tx => IsPendingName(tx, s.certificateName)
                ? self._models.ToPendingCertificate(await DeletedPendingAsync(() => self._lifecycle.RecoverAsync(tx, Pending, s.certificateName, ObjectAccess.Certificate, [], s.cancellationToken), s.certificateName).ConfigureAwait(false))
                : self._models.ToCertificateWithPolicy(await self._lifecycle.RecoverAsync(tx, Type, s.certificateName, ObjectAccess.Certificate, Managed, s.cancellationToken).ConfigureAwait(false)), s.cancellationToken);
        }, cancellationToken).ConfigureAwait(false));

    public Task PurgeDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.For(Type, VaultOperation.Lifecycle.Purge), certificateName, (this, certificateName, cancellationToken), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            return self._core.Writer.WriteAsync(async tx =>
            {
                if (IsPendingName(tx, s.certificateName))
                {
                    await DeletedPendingAsync(async () =>
                    {
                        await self._lifecycle.PurgeAsync(tx, Pending, s.certificateName, ObjectAccess.Certificate, [], s.cancellationToken).ConfigureAwait(false);
                        return true;
                    }, s.certificateName).ConfigureAwait(false);
                }
                else
                {
                    await self._lifecycle.PurgeAsync(tx, Type, s.certificateName, ObjectAccess.Certificate, Managed, s.cancellationToken).ConfigureAwait(false);
                }

                return true;
            }, s.cancellationToken);
        }, cancellationToken);

    /// <summary>Whether a name holds an operation and no certificate (what it holds is a pending-only certificate, active or deleted).</summary>
    private bool IsPendingName(string name) => !_core.Manifest.TryGetObject(Type, name, out _) && _core.Manifest.TryGetObject(Pending, name, out _);

    /// <summary>As <see cref="IsPendingName(string)"/>, as <paramref name="tx"/> sees the vault.</summary>
    private static bool IsPendingName(VaultTransaction tx, string name) => tx.Index(Type, name) is null && tx.Index(Pending, name) is not null;

    /// <summary>A deleted pending-only certificate as a deleted certificate: its pending version, with the deletion's dates.</summary>
    private DeletedCertificate ToDeletedPending(ObjectVersion operation) => new(
        _models.ToPendingCertificate(operation),
        new Uri(_core.Uri, $"deletedcertificates/{operation.Name}"),
        RecordAttributes.FromUnix(operation.Object.DeletedOn!.Value),
        RecordAttributes.FromUnix(operation.Object.ScheduledPurgeDate!.Value));

    /// <summary>Runs a step on a deleted pending-only certificate; its not-found is the certificate's, as Azure names it.</summary>
    private static async ValueTask<T> DeletedPendingAsync<T>(Func<ValueTask<T>> step, string name)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException)
        {
            throw VaultErrors.DeletedNotFound(Type, name);
        }
    }
}
