namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>What to decrypt and how. Use the factory methods, one per algorithm, as in the Azure SDK.</summary>
public sealed class DecryptParameters
{
    private DecryptParameters(EncryptionAlgorithm algorithm, byte[] ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        Algorithm = algorithm;
        Ciphertext = ciphertext;
        Iv = iv;
        AuthenticationTag = authenticationTag;
        AdditionalAuthenticatedData = additionalAuthenticatedData;
    }

    /// <summary>The algorithm.</summary>
    public EncryptionAlgorithm Algorithm { get; }

    /// <summary>The data to decrypt.</summary>
    public byte[] Ciphertext { get; }

    /// <summary>The IV the encryption returned (AES).</summary>
    public byte[]? Iv { get; }

    /// <summary>The tag the encryption returned (AES-GCM).</summary>
    public byte[]? AuthenticationTag { get; }

    /// <summary>The additional authenticated data given to the encryption (AES-GCM).</summary>
    public byte[]? AdditionalAuthenticatedData { get; }

    /// <summary>RSAES-PKCS1-v1_5.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters Rsa15Parameters(byte[] ciphertext) => new(EncryptionAlgorithm.Rsa15, ciphertext, null, null, null);

    /// <summary>RSA-OAEP (SHA-1).</summary>
    /// <param name="ciphertext">The data.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters RsaOaepParameters(byte[] ciphertext) => new(EncryptionAlgorithm.RsaOaep, ciphertext, null, null, null);

    /// <summary>RSA-OAEP-256 (SHA-256).</summary>
    /// <param name="ciphertext">The data.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters RsaOaep256Parameters(byte[] ciphertext) => new(EncryptionAlgorithm.RsaOaep256, ciphertext, null, null, null);

    /// <summary>AES-GCM, 128-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 12-byte IV from the encryption.</param>
    /// <param name="authenticationTag">The 16-byte tag from the encryption.</param>
    /// <param name="additionalAuthenticatedData">The additional data given to the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A128GcmParameters(byte[] ciphertext, byte[] iv, byte[] authenticationTag, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A128Gcm, ciphertext, iv, authenticationTag, additionalAuthenticatedData);

    /// <summary>AES-GCM, 192-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 12-byte IV from the encryption.</param>
    /// <param name="authenticationTag">The 16-byte tag from the encryption.</param>
    /// <param name="additionalAuthenticatedData">The additional data given to the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A192GcmParameters(byte[] ciphertext, byte[] iv, byte[] authenticationTag, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A192Gcm, ciphertext, iv, authenticationTag, additionalAuthenticatedData);

    /// <summary>AES-GCM, 256-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 12-byte IV from the encryption.</param>
    /// <param name="authenticationTag">The 16-byte tag from the encryption.</param>
    /// <param name="additionalAuthenticatedData">The additional data given to the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A256GcmParameters(byte[] ciphertext, byte[] iv, byte[] authenticationTag, byte[]? additionalAuthenticatedData = null) =>
        new(EncryptionAlgorithm.A256Gcm, ciphertext, iv, authenticationTag, additionalAuthenticatedData);

    /// <summary>AES-CBC with PKCS#7 padding, 128-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 16-byte IV from the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A128CbcPadParameters(byte[] ciphertext, byte[] iv) => new(EncryptionAlgorithm.A128CbcPad, ciphertext, iv, null, null);

    /// <summary>AES-CBC with PKCS#7 padding, 192-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 16-byte IV from the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A192CbcPadParameters(byte[] ciphertext, byte[] iv) => new(EncryptionAlgorithm.A192CbcPad, ciphertext, iv, null, null);

    /// <summary>AES-CBC with PKCS#7 padding, 256-bit key.</summary>
    /// <param name="ciphertext">The data.</param>
    /// <param name="iv">The 16-byte IV from the encryption.</param>
    /// <returns>The parameters.</returns>
    public static DecryptParameters A256CbcPadParameters(byte[] ciphertext, byte[] iv) => new(EncryptionAlgorithm.A256CbcPad, ciphertext, iv, null, null);

    internal static DecryptParameters For(EncryptionAlgorithm algorithm, byte[] ciphertext) => new(algorithm, ciphertext, null, null, null);

    /// <summary>The algorithm; never the data.</summary>
    public override string ToString() => $"DecryptParameters {{ Algorithm = {Algorithm} }}";
}
