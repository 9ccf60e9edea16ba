namespace KeyVault.Embedded.Certificates;

/// <summary>A soft-deleted certificate (with its managed key and secret), and its deletion state.</summary>
public sealed class DeletedCertificate
{
    internal DeletedCertificate(KeyVaultCertificateWithPolicy certificate, Uri recoveryId, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeDate)
    {
        Certificate = certificate;
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The certificate's name.</summary>
    public string Name => Certificate.Name;

    /// <summary>The version that was current when the certificate was deleted.</summary>
    public KeyVaultCertificateWithPolicy Certificate { get; }

    /// <summary>The identifier of the deleted certificate: <c>embeddedvault://{vault id}/deletedcertificates/{name}</c>.</summary>
    public Uri RecoveryId { get; }

    /// <summary>When the certificate was deleted.</summary>
    public DateTimeOffset DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges it by itself.</summary>
    public DateTimeOffset ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    public override string ToString() => $"DeletedCertificate {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
