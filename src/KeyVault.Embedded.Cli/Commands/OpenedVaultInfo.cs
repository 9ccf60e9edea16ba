namespace KeyVault.Embedded.Cli.Commands;

/// <summary>What a command may say about where its vault is (a path, or a PostgreSQL vault's name).</summary>
internal sealed record OpenedVaultInfo(string Location);
