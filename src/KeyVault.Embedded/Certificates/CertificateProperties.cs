namespace KeyVault.Embedded.Certificates;

/// <summary>The properties of one certificate version; passed to <see cref="ICertificateStore.UpdateCertificatePropertiesAsync"/> to change enabled and tags.</summary>
public sealed class CertificateProperties : VaultObjectProperties
{
    /// <summary>Creates properties for the certificate <paramref name="name"/> (its current version unless a version is set).</summary>
    /// <param name="name">The certificate's name.</param>
    public CertificateProperties(string name)
        : base(name)
    {
    }

    /// <summary>Creates properties for the certificate version <paramref name="id"/> names (Azure's <c>new CertificateProperties(certificate.Id)</c>).</summary>
    /// <param name="id">A certificate identifier, <c>{vault}/certificates/{name}[/{version}]</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a certificate identifier.</exception>
    public CertificateProperties(Uri id)
        : this(new KeyVaultCertificateIdentifier(id))
    {
    }

    private CertificateProperties(KeyVaultCertificateIdentifier id)
        : base(id.Name)
    {
        Version = id.Version;
        VaultUri = id.VaultUri;
    }

    /// <summary>The certificate's SHA-1 thumbprint.</summary>
    public byte[]? X509Thumbprint { get; internal set; }

    /// <summary>The thumbprint as uppercase hexadecimal, as Windows and .NET show it.</summary>
    public string? X509ThumbprintString => X509Thumbprint is null ? null : Convert.ToHexString(X509Thumbprint);

    private protected override string PathSegment => "certificates";

    /// <summary>A name with a pending creation and no version yet: its identifier names the certificate only.</summary>
    internal void FillPending(Uri vaultUri)
    {
        VaultUri = vaultUri;
        Id = new Uri(vaultUri, $"certificates/{Name}");
    }
}
