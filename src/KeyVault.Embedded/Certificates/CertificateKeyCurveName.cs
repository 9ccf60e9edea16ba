namespace KeyVault.Embedded.Certificates;

/// <summary>The elliptic curve of a certificate's EC key.</summary>
/// <param name="Value">The curve's name, for example <c>P-256</c>.</param>
public readonly record struct CertificateKeyCurveName(string Value)
{
    /// <summary>NIST P-256.</summary>
    public static CertificateKeyCurveName P256 { get; } = new("P-256");

    /// <summary>secp256k1.</summary>
    public static CertificateKeyCurveName P256K { get; } = new("P-256K");

    /// <summary>NIST P-384.</summary>
    public static CertificateKeyCurveName P384 { get; } = new("P-384");

    /// <summary>NIST P-521.</summary>
    public static CertificateKeyCurveName P521 { get; } = new("P-521");

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateKeyCurveName(string value) => new(value);

    /// <summary>The name.</summary>
    public override string ToString() => Value;
}
