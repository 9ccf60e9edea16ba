namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>An encryption algorithm (JWA names, as Azure Key Vault's).</summary>
public readonly struct EncryptionAlgorithm : IEquatable<EncryptionAlgorithm>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "A128GCM", "A192GCM", "A256GCM", "A128CBCPAD", "A192CBCPAD", "A256CBCPAD"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public EncryptionAlgorithm(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

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

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(EncryptionAlgorithm left, EncryptionAlgorithm right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(EncryptionAlgorithm left, EncryptionAlgorithm right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator EncryptionAlgorithm(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(EncryptionAlgorithm other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EncryptionAlgorithm other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
