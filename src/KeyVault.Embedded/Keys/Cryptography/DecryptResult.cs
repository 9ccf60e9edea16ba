namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of a decryption. <see cref="ToString"/> never shows the plaintext.</summary>
public sealed class DecryptResult
{
    internal DecryptResult(string? keyId, EncryptionAlgorithm algorithm, byte[] plaintext)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        Plaintext = plaintext;
    }

    /// <summary>The identifier of the key version that decrypted.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public EncryptionAlgorithm Algorithm { get; }

    /// <summary>The plaintext.</summary>
    public byte[] Plaintext { get; }

    /// <summary>Key and algorithm; never the plaintext.</summary>
    public override string ToString() => $"DecryptResult {{ KeyId = {KeyId}, Algorithm = {Algorithm}, Plaintext = *** }}";
}
