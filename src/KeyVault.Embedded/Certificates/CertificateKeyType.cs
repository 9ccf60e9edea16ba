namespace KeyVault.Embedded.Certificates;

/// <summary>The type of a certificate's key (RSA or EC, and their -HSM forms that keep the private key in a PKCS#11 token).</summary>
/// <param name="Value">The type's name, for example <c>RSA</c>.</param>
public readonly record struct CertificateKeyType(string Value)
{
    /// <summary>RSA (2048, 3072 or 4096 bits).</summary>
    public static CertificateKeyType Rsa { get; } = new("RSA");

    /// <summary>RSA whose private key lives in the PKCS#11 token.</summary>
    public static CertificateKeyType RsaHsm { get; } = new("RSA-HSM");

    /// <summary>Elliptic curve (P-256, P-256K, P-384, P-521).</summary>
    public static CertificateKeyType Ec { get; } = new("EC");

    /// <summary>Elliptic curve whose private key lives in the PKCS#11 token.</summary>
    public static CertificateKeyType EcHsm { get; } = new("EC-HSM");

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateKeyType(string value) => new(value);

    /// <summary>The name.</summary>
    public override string ToString() => Value;
}
