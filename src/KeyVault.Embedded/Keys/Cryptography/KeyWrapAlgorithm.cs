namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A key wrap algorithm (JWA names, as Azure Key Vault's).</summary>
/// <param name="Value">The algorithm's name, for example <c>A256KW</c>.</param>
public readonly record struct KeyWrapAlgorithm(string Value)
{
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

    /// <summary>Converts a string to an algorithm.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyWrapAlgorithm(string value) => new(value);

    /// <summary>The algorithm's name.</summary>
    public override string ToString() => Value;
}
