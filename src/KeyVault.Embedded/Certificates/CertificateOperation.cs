namespace KeyVault.Embedded.Certificates;

/// <summary>
/// The state of a certificate creation. With issuer Self or a vault issuer it completes before
/// <see cref="ICertificateStore.StartCreateCertificateAsync"/> returns; with issuer Unknown it stays in progress, holding
/// a certificate signing request (<see cref="Csr"/>), until the signed certificate is merged or the operation is
/// cancelled or deleted.
/// </summary>
public sealed class CertificateOperation
{
    internal CertificateOperation(string name, string issuerName, string status, byte[]? csr, bool cancellationRequested, KeyVaultCertificateWithPolicy? value)
    {
        Name = name;
        IssuerName = issuerName;
        Status = status;
        Csr = csr;
        CancellationRequested = cancellationRequested;
        Value = value;
    }

    /// <summary>The status when the certificate is issued.</summary>
    public const string Completed = "completed";

    /// <summary>The status while a signed certificate is awaited.</summary>
    public const string InProgress = "inProgress";

    /// <summary>The status after cancellation.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The certificate's name.</summary>
    public string Name { get; }

    /// <summary>The issuer named by the policy.</summary>
    public string IssuerName { get; }

    /// <summary><see cref="Completed"/>, <see cref="InProgress"/> or <see cref="Cancelled"/>.</summary>
    public string Status { get; }

    /// <summary>The certificate signing request (PKCS#10, DER) for the outside CA; null once completed.</summary>
    public byte[]? Csr { get; }

    /// <summary>Whether the operation was cancelled.</summary>
    public bool CancellationRequested { get; }

    /// <summary>Whether the certificate was issued.</summary>
    public bool HasCompleted => Status == Completed;

    /// <summary>The issued certificate, once completed.</summary>
    public KeyVaultCertificateWithPolicy? Value { get; }

    /// <summary>Name and status.</summary>
    public override string ToString() => $"CertificateOperation {{ Name = {Name}, Status = {Status} }}";
}
