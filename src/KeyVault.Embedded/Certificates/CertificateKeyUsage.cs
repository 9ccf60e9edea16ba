namespace KeyVault.Embedded.Certificates;

/// <summary>An X.509 key usage (RFC 5280, section 4.2.1.3).</summary>
public readonly struct CertificateKeyUsage : IEquatable<CertificateKeyUsage>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public CertificateKeyUsage(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

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

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(CertificateKeyUsage left, CertificateKeyUsage right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(CertificateKeyUsage left, CertificateKeyUsage right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateKeyUsage(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(CertificateKeyUsage other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CertificateKeyUsage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
