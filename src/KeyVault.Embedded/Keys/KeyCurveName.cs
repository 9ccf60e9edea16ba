namespace KeyVault.Embedded.Keys;

/// <summary>An elliptic curve for EC keys (<c>crv</c>), as JSON Web Key and Azure Key Vault name them.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.CurveName))]
public readonly struct KeyCurveName : IEquatable<KeyCurveName>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["P-256", "P-256K", "P-384", "P-521"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public KeyCurveName(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>NIST P-256 (secp256r1), for ES256.</summary>
    public static KeyCurveName P256 { get; } = new("P-256");

    /// <summary>secp256k1, for ES256K.</summary>
    public static KeyCurveName P256K { get; } = new("P-256K");

    /// <summary>NIST P-384, for ES384.</summary>
    public static KeyCurveName P384 { get; } = new("P-384");

    /// <summary>NIST P-521, for ES512.</summary>
    public static KeyCurveName P521 { get; } = new("P-521");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(KeyCurveName left, KeyCurveName right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(KeyCurveName left, KeyCurveName right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyCurveName(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(KeyCurveName other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyCurveName other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
