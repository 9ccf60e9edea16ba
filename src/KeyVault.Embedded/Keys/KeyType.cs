namespace KeyVault.Embedded.Keys;

/// <summary>
/// A JSON Web Key type (<c>kty</c>), as Azure Key Vault names them. The <c>-HSM</c> forms keep the private or secret
/// key inside a PKCS#11 token (they need a PKCS#11 root).
/// </summary>
/// <param name="Value">The type's name, for example <c>RSA</c>.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(JsonWebKeyConverters.KeyTypeName))]
public readonly record struct KeyType(string Value)
{
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

    /// <summary>Converts a string to a key type.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyType(string value) => new(value);

    /// <summary>The type's name.</summary>
    public override string ToString() => Value;
}
