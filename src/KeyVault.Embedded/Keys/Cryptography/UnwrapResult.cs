namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The result of unwrapping a key. <see cref="ToString"/> never shows the key.</summary>
public sealed class UnwrapResult
{
    internal UnwrapResult(string? keyId, KeyWrapAlgorithm algorithm, byte[] key)
    {
        KeyId = keyId;
        Algorithm = algorithm;
        Key = key;
    }

    /// <summary>The identifier of the key version that unwrapped.</summary>
    public string? KeyId { get; }

    /// <summary>The algorithm.</summary>
    public KeyWrapAlgorithm Algorithm { get; }

    /// <summary>The unwrapped key.</summary>
    public byte[] Key { get; }

    /// <summary>Key id and algorithm; never the key.</summary>
    public override string ToString() => $"UnwrapResult {{ KeyId = {KeyId}, Algorithm = {Algorithm}, Key = *** }}";
}
