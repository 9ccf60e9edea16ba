namespace KeyVault.Embedded.Certificates;

/// <summary>An X.509 key usage (RFC 5280, section 4.2.1.3).</summary>
/// <param name="Value">The usage's name, for example <c>digitalSignature</c>.</param>
public readonly record struct CertificateKeyUsage(string Value)
{
    /// <summary>Digital signatures.</summary>
    public static CertificateKeyUsage DigitalSignature { get; } = new("digitalSignature");

    /// <summary>Content commitment.</summary>
    public static CertificateKeyUsage NonRepudiation { get; } = new("nonRepudiation");

    /// <summary>Encrypting keys.</summary>
    public static CertificateKeyUsage KeyEncipherment { get; } = new("keyEncipherment");

    /// <summary>Encrypting data.</summary>
    public static CertificateKeyUsage DataEncipherment { get; } = new("dataEncipherment");

    /// <summary>Key agreement.</summary>
    public static CertificateKeyUsage KeyAgreement { get; } = new("keyAgreement");

    /// <summary>Signing certificates (a CA).</summary>
    public static CertificateKeyUsage KeyCertSign { get; } = new("keyCertSign");

    /// <summary>Signing CRLs.</summary>
    public static CertificateKeyUsage CrlSign { get; } = new("cRLSign");

    /// <summary>Encipher only (with key agreement).</summary>
    public static CertificateKeyUsage EncipherOnly { get; } = new("encipherOnly");

    /// <summary>Decipher only (with key agreement).</summary>
    public static CertificateKeyUsage DecipherOnly { get; } = new("decipherOnly");

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateKeyUsage(string value) => new(value);

    /// <summary>The name.</summary>
    public override string ToString() => Value;
}
