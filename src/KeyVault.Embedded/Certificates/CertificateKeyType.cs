namespace KeyVault.Embedded.Certificates;

/// <summary>The type of a certificate's key (RSA or EC, and their -HSM forms that keep the private key in a PKCS#11 token).</summary>
public readonly struct CertificateKeyType : IEquatable<CertificateKeyType>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["RSA", "RSA-HSM", "EC", "EC-HSM"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public CertificateKeyType(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>RSA (2048, 3072 or 4096 bits).</summary>
    public static CertificateKeyType Rsa { get; } = new("RSA");

    /// <summary>RSA whose private key lives in the PKCS#11 token.</summary>
    public static CertificateKeyType RsaHsm { get; } = new("RSA-HSM");

    /// <summary>Elliptic curve (P-256, P-256K, P-384, P-521).</summary>
    public static CertificateKeyType Ec { get; } = new("EC");

    /// <summary>Elliptic curve whose private key lives in the PKCS#11 token.</summary>
    public static CertificateKeyType EcHsm { get; } = new("EC-HSM");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(CertificateKeyType left, CertificateKeyType right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(CertificateKeyType left, CertificateKeyType right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificateKeyType(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(CertificateKeyType other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CertificateKeyType other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
