namespace KeyVault.Embedded.Hosting;

/// <summary>Names shared by the service registration and the configuration source.</summary>
internal static class EmbeddedVaultDefaults
{
    /// <summary>The configuration section holding the vault's settings.</summary>
    public const string SectionName = "EmbeddedVault";
}
