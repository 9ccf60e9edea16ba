namespace KeyVault.Embedded.Certificates;

/// <summary>
/// What <see cref="ICertificateStore.StartDeleteCertificateAsync"/> returns, in the Azure SDK's shape: the certificate is
/// deleted when the call returns, so the operation has completed and <see cref="Operation{T}.Value"/> is the deleted
/// certificate.
/// </summary>
public sealed class DeleteCertificateOperation : Operation<DeletedCertificate>
{
    internal DeleteCertificateOperation(DeletedCertificate value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}

/// <summary>
/// What <see cref="ICertificateStore.StartRecoverDeletedCertificateAsync"/> returns, in the Azure SDK's shape: the
/// certificate is recovered when the call returns, so the operation has completed and <see cref="Operation{T}.Value"/> is
/// the recovered certificate.
/// </summary>
public sealed class RecoverDeletedCertificateOperation : Operation<KeyVaultCertificateWithPolicy>
{
    internal RecoverDeletedCertificateOperation(KeyVaultCertificateWithPolicy value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}
