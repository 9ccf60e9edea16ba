namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>An encryption algorithm (JWA names, as Azure Key Vault's).</summary>
/// <param name="Value">The algorithm's name, for example <c>RSA-OAEP-256</c>.</param>
public readonly record struct EncryptionAlgorithm(string Value)
{
    /// <summary>RSAES-PKCS1-v1_5. Kept for compatibility; prefer <see cref="RsaOaep256"/>.</summary>
    public static EncryptionAlgorithm Rsa15 { get; } = new("RSA1_5");

    /// <summary>RSAES-OAEP with SHA-1 and MGF1-SHA-1.</summary>
    public static EncryptionAlgorithm RsaOaep { get; } = new("RSA-OAEP");

    /// <summary>RSAES-OAEP with SHA-256 and MGF1-SHA-256.</summary>
    public static EncryptionAlgorithm RsaOaep256 { get; } = new("RSA-OAEP-256");

    /// <summary>AES-GCM with a 128-bit key; the vault makes a 96-bit IV and a 128-bit tag.</summary>
    public static EncryptionAlgorithm A128Gcm { get; } = new("A128GCM");

    /// <summary>AES-GCM with a 192-bit key.</summary>
    public static EncryptionAlgorithm A192Gcm { get; } = new("A192GCM");

    /// <summary>AES-GCM with a 256-bit key.</summary>
    public static EncryptionAlgorithm A256Gcm { get; } = new("A256GCM");

    /// <summary>AES-CBC with a 128-bit key and PKCS#7 padding.</summary>
    public static EncryptionAlgorithm A128CbcPad { get; } = new("A128CBCPAD");

    /// <summary>AES-CBC with a 192-bit key and PKCS#7 padding.</summary>
    public static EncryptionAlgorithm A192CbcPad { get; } = new("A192CBCPAD");

    /// <summary>AES-CBC with a 256-bit key and PKCS#7 padding.</summary>
    public static EncryptionAlgorithm A256CbcPad { get; } = new("A256CBCPAD");

    /// <summary>Converts a string to an algorithm.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator EncryptionAlgorithm(string value) => new(value);

    /// <summary>The algorithm's name.</summary>
    public override string ToString() => Value;
}
