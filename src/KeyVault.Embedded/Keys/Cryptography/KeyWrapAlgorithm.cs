namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A key wrap algorithm (JWA names, as Azure Key Vault's).</summary>
public readonly struct KeyWrapAlgorithm : IEquatable<KeyWrapAlgorithm>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "A128KW", "A192KW", "A256KW"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public KeyWrapAlgorithm(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>RSAES-PKCS1-v1_5 (Azure's <c>RSA1_5</c>; kept for interoperability: prefer RSA-OAEP-256).</summary>
    public static KeyWrapAlgorithm Rsa15 { get; } = new("RSA1_5");

    /// <summary>RSAES-OAEP with SHA-1.</summary>
    public static KeyWrapAlgorithm RsaOaep { get; } = new("RSA-OAEP");

    /// <summary>RSAES-OAEP with SHA-256.</summary>
    public static KeyWrapAlgorithm RsaOaep256 { get; } = new("RSA-OAEP-256");

    /// <summary>AES key wrap (RFC 3394) with a 128-bit key.</summary>
    public static KeyWrapAlgorithm A128KW { get; } = new("A128KW");

    /// <summary>AES key wrap (RFC 3394) with a 192-bit key.</summary>
    public static KeyWrapAlgorithm A192KW { get; } = new("A192KW");

    /// <summary>AES key wrap (RFC 3394) with a 256-bit key.</summary>
    public static KeyWrapAlgorithm A256KW { get; } = new("A256KW");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(KeyWrapAlgorithm left, KeyWrapAlgorithm right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(KeyWrapAlgorithm left, KeyWrapAlgorithm right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyWrapAlgorithm(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(KeyWrapAlgorithm other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyWrapAlgorithm other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
