namespace KeyVault.Embedded.Certificates;

/// <summary>How the certificate's managed secret holds it: PKCS#12 (the value is base64) or PEM.</summary>
/// <param name="Value">The media type.</param>
public readonly record struct CertificateContentType(string Value)
{
    /// <summary>PKCS#12 (PFX), base64 in the secret value.</summary>
    public static CertificateContentType Pkcs12 { get; } = new("application/x-pkcs12");

    /// <summary>PEM: private key (when exportable), certificate, chain.</summary>
    public static CertificateContentType Pem { get; } = new("application/x-pem-file");

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateContentType(string value) => new(value);

    /// <summary>The name.</summary>
    public override string ToString() => Value;
}
