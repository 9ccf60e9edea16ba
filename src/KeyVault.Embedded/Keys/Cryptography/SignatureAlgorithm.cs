namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A signature algorithm (JWA names, as Azure Key Vault's). ECDSA signatures are JWS r‖s.</summary>
/// <param name="Value">The algorithm's name, for example <c>ES256</c>.</param>
public readonly record struct SignatureAlgorithm(string Value)
{
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

    /// <summary>Converts a string to an algorithm.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator SignatureAlgorithm(string value) => new(value);

    /// <summary>The algorithm's name.</summary>
    public override string ToString() => Value;
}
