namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of a verification.</summary>
public sealed class VerifyResult
{
    internal VerifyResult(string? keyId, SignatureAlgorithm algorithm, bool isValid)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        IsValid = isValid;
    }

    /// <summary>The identifier of the key version that verified.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public SignatureAlgorithm Algorithm { get; }

    /// <summary>Whether the signature is valid.</summary>
    public bool IsValid { get; }
}
