namespace KeyVault.Embedded.Keys;

/// <summary>
/// An operation a key may be used for (<c>key_ops</c>). A key does only what its operations allow; outside its
/// notBefore/expiresOn window it does only <see cref="Decrypt"/>, <see cref="UnwrapKey"/> and <see cref="Verify"/>.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.OperationName))]
public readonly struct KeyOperation : IEquatable<KeyOperation>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public KeyOperation(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>Encrypt data (RSA, oct).</summary>
    public static KeyOperation Encrypt { get; } = new("encrypt");

    /// <summary>Decrypt data (RSA, oct).</summary>
    public static KeyOperation Decrypt { get; } = new("decrypt");

    /// <summary>Sign a digest (RSA, EC).</summary>
    public static KeyOperation Sign { get; } = new("sign");

    /// <summary>Verify a signature (RSA, EC).</summary>
    public static KeyOperation Verify { get; } = new("verify");

    /// <summary>Wrap (encrypt) a key (RSA, oct).</summary>
    public static KeyOperation WrapKey { get; } = new("wrapKey");

    /// <summary>Unwrap (decrypt) a key (RSA, oct).</summary>
    public static KeyOperation UnwrapKey { get; } = new("unwrapKey");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(KeyOperation left, KeyOperation right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(KeyOperation left, KeyOperation right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyOperation(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(KeyOperation other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyOperation other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
