namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of a signature.</summary>
public sealed class SignResult
{
    internal SignResult(string? keyId, SignatureAlgorithm algorithm, byte[] signature)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        Signature = signature;
    }

    /// <summary>The identifier of the key version that signed.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public SignatureAlgorithm Algorithm { get; }

    /// <summary>The signature (for ECDSA, JWS r‖s).</summary>
    public byte[] Signature { get; }
}
