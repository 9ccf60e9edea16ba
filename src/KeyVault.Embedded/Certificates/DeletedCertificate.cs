namespace KeyVault.Embedded.Certificates;

/// <summary>
/// A soft-deleted certificate (with its managed key and secret) and its deletion state. As in Azure it is a
/// <see cref="KeyVaultCertificateWithPolicy"/>: the version that was current when it was deleted.
/// </summary>
public sealed class DeletedCertificate : KeyVaultCertificateWithPolicy
{
    internal DeletedCertificate(KeyVaultCertificateWithPolicy certificate, Uri? recoveryId, DateTimeOffset? deletedOn, DateTimeOffset? scheduledPurgeDate)
        : base(certificate.Properties, certificate.Cer, certificate.Chain, certificate.Policy, certificate.KeyId, certificate.SecretId)
    {
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The identifier of the deleted certificate: <c>{vault}/deletedcertificates/{name}</c>.</summary>
    public Uri? RecoveryId { get; }

    /// <summary>When the certificate was deleted.</summary>
    public DateTimeOffset? DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges it by itself.</summary>
    public DateTimeOffset? ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"DeletedCertificate {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
