using System.CommandLine;
using KeyVault.Embedded.Cli.Output;

namespace KeyVault.Embedded.Cli;

/// <summary>The options every command takes: which vault, which root, which output format.</summary>
internal static class GlobalOptions
{
    public const string VaultVariable = "KV_VAULT";

    public const string RootKeyVariable = "KV_ROOT_KEY";

    public static readonly Option<string?> Vault = new("--vault")
    {
        Description = $"The vault file (default: ${VaultVariable}).",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<string?> PostgreSql = new("--postgresql")
    {
        Description = "A PostgreSQL connection string: the vault lives in that database instead of a file.",
        HelpName = "CONNSTRING",
        Recursive = true,
    };

    public static readonly Option<string?> VaultName = new("--vault-name")
    {
        Description = "The vault's name in the PostgreSQL schema (with --postgresql; default: default).",
        HelpName = "NAME",
        Recursive = true,
    };

    public static readonly Option<string?> AnchorPath = new("--anchor-path")
    {
        Description = "The vault's rollback anchor file (as the app's EmbeddedVaultOptions.AnchorPath): give it on every command for a vault anchored so; an anchored vault is refused without its anchor.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<bool> DropAnchor = new("--drop-anchor")
    {
        Description = "Open an anchored vault without its anchor and stop anchoring it (to take up an older copy deliberately, or to move the anchor; every change after that copy is lost).",
        Recursive = true,
    };

    public static readonly Option<bool> NoAudit = new("--no-audit")
    {
        Description = "Do not audit this command's operations (by default every operation is recorded in the vault's audit trail).",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Output = CreateOutput();

    public static IEnumerable<Option> All =>
        [Vault, PostgreSql, VaultName, .. RootOptions.Current.All, AnchorPath, DropAnchor, NoAudit, Output];

    private static Option<OutputFormat> CreateOutput()
    {
        var option = new Option<OutputFormat>("--output", "-o")
        {
            Description = "Output format: json (default), table or tsv.",
            DefaultValueFactory = _ => OutputFormat.Json,
            Recursive = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 0 ? "json" : result.Tokens[0].Value;
                switch (text.ToLowerInvariant())
                {
                    case "json": return OutputFormat.Json;
                    case "table": return OutputFormat.Table;
                    case "tsv": return OutputFormat.Tsv;
                    default:
                        result.AddError($"'{text}' is not an output format: use json, table or tsv.");
                        return OutputFormat.Json;
                }
            },
        };
        option.CompletionSources.Add("json", "table", "tsv");
        return option;
    }
}
