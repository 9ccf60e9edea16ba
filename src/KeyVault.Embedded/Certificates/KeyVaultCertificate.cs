namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate version: its DER bytes, properties, and the identifiers of its managed key and secret.</summary>
/// <remarks>Only this library derives from this class (<see cref="KeyVaultCertificateWithPolicy"/>).</remarks>
public class KeyVaultCertificate
{
    private readonly Uri? _keyId;
    private readonly Uri? _secretId;

    internal KeyVaultCertificate(CertificateProperties properties, byte[] cer, IReadOnlyList<byte[]> chain, Uri? keyId = null, Uri? secretId = null)
    {
        _keyId = keyId;
        _secretId = secretId;
        Properties = properties;
        Cer = cer;
        Chain = chain;
    }

    /// <summary>The certificate's name.</summary>
    public string Name => Properties.Name;

    /// <summary>The version's identifier.</summary>
    public Uri? Id => Properties.Id;

    /// <summary>The identifier of the managed key version (the certificate's key).</summary>
    public Uri? KeyId => _keyId ?? (Properties.VaultUri is null ? null : new Uri(Properties.VaultUri, $"keys/{Name}/{Properties.Version}"));

    /// <summary>The identifier of the managed secret version (the certificate as PKCS#12 or PEM).</summary>
    public Uri? SecretId => _secretId ?? (Properties.VaultUri is null ? null : new Uri(Properties.VaultUri, $"secrets/{Name}/{Properties.Version}"));

    /// <summary>The certificate, DER encoded.</summary>
    public byte[] Cer { get; }

    /// <summary>The issuing chain, DER encoded, from the issuer up (empty for a self-signed certificate).</summary>
    public IReadOnlyList<byte[]> Chain { get; }

    /// <summary>The version's properties.</summary>
    public CertificateProperties Properties { get; }

    /// <summary>Name, version and thumbprint.</summary>
    public override string ToString() => $"{GetType().Name} {{ Name = {Name}, Version = {Properties.Version}, Thumbprint = {Properties.X509ThumbprintString} }}";
}
