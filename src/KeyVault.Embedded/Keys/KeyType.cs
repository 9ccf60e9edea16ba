namespace KeyVault.Embedded.Keys;

/// <summary>
/// A JSON Web Key type (<c>kty</c>), as Azure Key Vault names them. The <c>-HSM</c> forms keep the private or secret
/// key inside a PKCS#11 token (they need a PKCS#11 root).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.KeyTypeName))]
public readonly struct KeyType : IEquatable<KeyType>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public KeyType(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>RSA, 2048, 3072 or 4096 bits, public exponent 65537.</summary>
    public static KeyType Rsa { get; } = new("RSA");

    /// <summary>RSA whose private key lives in a PKCS#11 token.</summary>
    public static KeyType RsaHsm { get; } = new("RSA-HSM");

    /// <summary>Elliptic curve: P-256, P-256K, P-384 or P-521.</summary>
    public static KeyType Ec { get; } = new("EC");

    /// <summary>Elliptic curve whose private key lives in a PKCS#11 token.</summary>
    public static KeyType EcHsm { get; } = new("EC-HSM");

    /// <summary>Symmetric AES key: 128, 192 or 256 bits.</summary>
    public static KeyType Oct { get; } = new("oct");

    /// <summary>Symmetric AES key that lives in a PKCS#11 token.</summary>
    public static KeyType OctHsm { get; } = new("oct-HSM");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(KeyType left, KeyType right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(KeyType left, KeyType right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyType(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(KeyType other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyType other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
