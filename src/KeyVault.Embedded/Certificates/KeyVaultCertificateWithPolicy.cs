namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate's current version with the certificate's policy.</summary>
/// <remarks>Only this library derives from this class (<see cref="DeletedCertificate"/>), as in the Azure SDK.</remarks>
public class KeyVaultCertificateWithPolicy : KeyVaultCertificate
{
    internal KeyVaultCertificateWithPolicy(CertificateProperties properties, byte[] cer, IReadOnlyList<byte[]> chain, CertificatePolicy policy, Uri? keyId = null, Uri? secretId = null)
        : base(properties, cer, chain, keyId, secretId)
    {
        Policy = policy;
    }

    /// <summary>The certificate's policy.</summary>
    public CertificatePolicy Policy { get; }
}
