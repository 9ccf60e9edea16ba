namespace KeyVault.Embedded.Keys;

/// <summary>What an evaluation of the rotation policies did.</summary>
public sealed class KeyLifetimeActionResults
{
    internal KeyLifetimeActionResults(IReadOnlyList<KeyVaultKey> rotated, IReadOnlyList<KeyProperties> nearExpiry)
    {
        Rotated = rotated;
        NearExpiry = nearExpiry;
    }

    /// <summary>The new versions made by Rotate actions.</summary>
    public IReadOnlyList<KeyVaultKey> Rotated { get; }

    /// <summary>Key versions whose Notify action fired (each reported once).</summary>
    public IReadOnlyList<KeyProperties> NearExpiry { get; }
}
