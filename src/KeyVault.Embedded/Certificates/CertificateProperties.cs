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

    /// <summary>The certificate's SHA-1 thumbprint.</summary>
    public byte[]? X509Thumbprint { get; internal set; }

    /// <summary>The thumbprint as uppercase hexadecimal, as Windows and .NET show it.</summary>
    public string? X509ThumbprintString => X509Thumbprint is null ? null : Convert.ToHexString(X509Thumbprint);

    private protected override string PathSegment => "certificates";
}
