namespace KeyVault.Embedded;

/// <summary>What a <see cref="IRootKeyProvider"/> is told about the vault it opens a root for.</summary>
public sealed class RootKeyContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="vaultId">The vault's id.</param>
    /// <param name="storedParameters">The parameters recorded for this root, or null for a new root.</param>
    public RootKeyContext(Guid vaultId, IReadOnlyDictionary<string, string>? storedParameters)
    {
        VaultId = vaultId;
        StoredParameters = storedParameters;
    }

    /// <summary>The vault's id.</summary>
    public Guid VaultId { get; }

    /// <summary>
    /// The parameters the root recorded in the vault header (see <see cref="IRootKey.Parameters"/>), or null when
    /// the root is being set up: a new vault, or a vault being re-rooted onto this provider.
    /// </summary>
    public IReadOnlyDictionary<string, string>? StoredParameters { get; }
}
