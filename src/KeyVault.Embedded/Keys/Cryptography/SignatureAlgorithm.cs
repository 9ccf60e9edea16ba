namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A signature algorithm (JWA names, as Azure Key Vault's). ECDSA signatures are JWS r‖s.</summary>
public readonly struct SignatureAlgorithm : IEquatable<SignatureAlgorithm>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES256K", "ES384", "ES512"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public SignatureAlgorithm(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    public static SignatureAlgorithm RS256 { get; } = new("RS256");

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-384.</summary>
    public static SignatureAlgorithm RS384 { get; } = new("RS384");

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-512.</summary>
    public static SignatureAlgorithm RS512 { get; } = new("RS512");

    /// <summary>RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.</summary>
    public static SignatureAlgorithm PS256 { get; } = new("PS256");

    /// <summary>RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt.</summary>
    public static SignatureAlgorithm PS384 { get; } = new("PS384");

    /// <summary>RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt.</summary>
    public static SignatureAlgorithm PS512 { get; } = new("PS512");

    /// <summary>ECDSA on P-256 with SHA-256.</summary>
    public static SignatureAlgorithm ES256 { get; } = new("ES256");

    /// <summary>ECDSA on secp256k1 with SHA-256.</summary>
    public static SignatureAlgorithm ES256K { get; } = new("ES256K");

    /// <summary>ECDSA on P-384 with SHA-384.</summary>
    public static SignatureAlgorithm ES384 { get; } = new("ES384");

    /// <summary>ECDSA on P-521 with SHA-512.</summary>
    public static SignatureAlgorithm ES512 { get; } = new("ES512");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(SignatureAlgorithm left, SignatureAlgorithm right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(SignatureAlgorithm left, SignatureAlgorithm right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator SignatureAlgorithm(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(SignatureAlgorithm other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SignatureAlgorithm other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
