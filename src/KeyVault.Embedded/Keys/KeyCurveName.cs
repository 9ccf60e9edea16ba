namespace KeyVault.Embedded.Keys;

/// <summary>An elliptic curve for EC keys (<c>crv</c>), as JSON Web Key and Azure Key Vault name them.</summary>
/// <param name="Value">The curve's name, for example <c>P-256</c>.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.CurveName))]
public readonly record struct KeyCurveName(string Value)
{
    /// <summary>NIST P-256 (secp256r1), for ES256.</summary>
    public static KeyCurveName P256 { get; } = new("P-256");

    /// <summary>secp256k1, for ES256K.</summary>
    public static KeyCurveName P256K { get; } = new("P-256K");

    /// <summary>NIST P-384, for ES384.</summary>
    public static KeyCurveName P384 { get; } = new("P-384");

    /// <summary>NIST P-521, for ES512.</summary>
    public static KeyCurveName P521 { get; } = new("P-521");

    /// <summary>Converts a string to a curve name.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyCurveName(string value) => new(value);

    /// <summary>The curve's name.</summary>
    public override string ToString() => Value;
}
