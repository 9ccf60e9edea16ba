namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of wrapping a key.</summary>
public sealed class WrapResult
{
    internal WrapResult(string? keyId, KeyWrapAlgorithm algorithm, byte[] encryptedKey)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        EncryptedKey = encryptedKey;
    }

    /// <summary>The identifier of the key version that wrapped.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public KeyWrapAlgorithm Algorithm { get; }

    /// <summary>The wrapped key.</summary>
    public byte[] EncryptedKey { get; }
}
