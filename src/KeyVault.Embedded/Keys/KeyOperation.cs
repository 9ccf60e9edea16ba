namespace KeyVault.Embedded.Keys;

/// <summary>
/// An operation a key may be used for (<c>key_ops</c>). A key does only what its operations allow; outside its
/// notBefore/expiresOn window it does only <see cref="Decrypt"/>, <see cref="UnwrapKey"/> and <see cref="Verify"/>.
/// </summary>
/// <param name="Value">The operation's name, for example <c>sign</c>.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.OperationName))]
public readonly record struct KeyOperation(string Value)
{
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

    /// <summary>Converts a string to an operation.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyOperation(string value) => new(value);

    /// <summary>The operation's name.</summary>
    public override string ToString() => Value;
}
