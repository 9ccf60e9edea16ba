namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>What to encrypt and how. Use the factory methods, one per algorithm, as in the Azure SDK.</summary>
public sealed class EncryptParameters
{
    private EncryptParameters(EncryptionAlgorithm algorithm, byte[] plaintext, byte[]? iv, byte[]? additionalAuthenticatedData)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        Algorithm = algorithm;
        Plaintext = plaintext;
        Iv = iv;
        AdditionalAuthenticatedData = additionalAuthenticatedData;
    }

    /// <summary>The algorithm.</summary>
    public EncryptionAlgorithm Algorithm { get; }

    /// <summary>The data to encrypt.</summary>
    public byte[] Plaintext { get; }

    /// <summary>The IV for AES-CBC (16 bytes; generated when null). Never given for AES-GCM: the vault makes it.</summary>
    public byte[]? Iv { get; }

    /// <summary>Additional authenticated data for AES-GCM.</summary>
    public byte[]? AdditionalAuthenticatedData { get; }

    /// <summary>RSAES-PKCS1-v1_5.</summary>
    /// <param name="plaintext">The data.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters Rsa15Parameters(byte[] plaintext) => new(EncryptionAlgorithm.Rsa15, plaintext, null, null);

    /// <summary>RSA-OAEP (SHA-1).</summary>
    /// <param name="plaintext">The data.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters RsaOaepParameters(byte[] plaintext) => new(EncryptionAlgorithm.RsaOaep, plaintext, null, null);

    /// <summary>RSA-OAEP-256 (SHA-256).</summary>
    /// <param name="plaintext">The data.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters RsaOaep256Parameters(byte[] plaintext) => new(EncryptionAlgorithm.RsaOaep256, plaintext, null, null);

    /// <summary>AES-GCM, 128-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="additionalAuthenticatedData">Data to authenticate but not encrypt.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A128GcmParameters(byte[] plaintext, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A128Gcm, plaintext, null, additionalAuthenticatedData);

    /// <summary>AES-GCM, 192-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="additionalAuthenticatedData">Data to authenticate but not encrypt.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A192GcmParameters(byte[] plaintext, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A192Gcm, plaintext, null, additionalAuthenticatedData);

    /// <summary>AES-GCM, 256-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="additionalAuthenticatedData">Data to authenticate but not encrypt.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A256GcmParameters(byte[] plaintext, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A256Gcm, plaintext, null, additionalAuthenticatedData);

    /// <summary>AES-CBC with PKCS#7 padding, 128-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="iv">A 16-byte IV, or null to have one generated.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A128CbcPadParameters(byte[] plaintext, byte[]? iv = null) => new(EncryptionAlgorithm.A128CbcPad, plaintext, iv, null);

    /// <summary>AES-CBC with PKCS#7 padding, 192-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="iv">A 16-byte IV, or null to have one generated.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A192CbcPadParameters(byte[] plaintext, byte[]? iv = null) => new(EncryptionAlgorithm.A192CbcPad, plaintext, iv, null);

    /// <summary>AES-CBC with PKCS#7 padding, 256-bit key.</summary>
    /// <param name="plaintext">The data.</param>
    /// <param name="iv">A 16-byte IV, or null to have one generated.</param>
    /// <returns>The parameters.</returns>
    public static EncryptParameters A256CbcPadParameters(byte[] plaintext, byte[]? iv = null) => new(EncryptionAlgorithm.A256CbcPad, plaintext, iv, null);

    internal static EncryptParameters For(EncryptionAlgorithm algorithm, byte[] plaintext) => new(algorithm, plaintext, null, null);

    /// <summary>The algorithm; never the data.</summary>
    public override string ToString() => $"EncryptParameters {{ Algorithm = {Algorithm} }}";
}
