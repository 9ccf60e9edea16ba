namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate's current version with the certificate's policy.</summary>
public sealed class KeyVaultCertificateWithPolicy : KeyVaultCertificate
{
    internal KeyVaultCertificateWithPolicy(CertificateProperties properties, byte[] cer, IReadOnlyList<byte[]> chain, CertificatePolicy policy)
        : base(properties, cer, chain)
    {
        Policy = policy;
    }

    /// <summary>The certificate's policy.</summary>
    public CertificatePolicy Policy { get; }
}
