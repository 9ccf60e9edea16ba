namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of an encryption.</summary>
public sealed class EncryptResult
{
    internal EncryptResult(string? keyId, EncryptionAlgorithm algorithm, byte[] ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        Ciphertext = ciphertext;
        Iv = iv;
        AuthenticationTag = authenticationTag;
        AdditionalAuthenticatedData = additionalAuthenticatedData;
    }

    /// <summary>The identifier of the key version that encrypted.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public EncryptionAlgorithm Algorithm { get; }

    /// <summary>The ciphertext.</summary>
    public byte[] Ciphertext { get; }

    /// <summary>The IV (AES), needed to decrypt.</summary>
    public byte[]? Iv { get; }

    /// <summary>The authentication tag (AES-GCM), needed to decrypt.</summary>
    public byte[]? AuthenticationTag { get; }

    /// <summary>The additional authenticated data that was given (AES-GCM).</summary>
    public byte[]? AdditionalAuthenticatedData { get; }
}
