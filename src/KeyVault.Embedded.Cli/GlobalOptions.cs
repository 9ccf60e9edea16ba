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

    public static readonly Option<string?> RootKeyFile = new("--root-key-file")
    {
        Description = "Root: a file holding the 32-byte software root key (mode 0600).",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<string?> RootKeyEnv = new("--root-key-env")
    {
        Description = $"Root: the environment variable holding the root key, 64 hex characters or base64 (default when no root option is given: {RootKeyVariable}).",
        HelpName = "VAR",
        Recursive = true,
    };

    public static readonly Option<bool> PassphrasePrompt = new("--passphrase-prompt")
    {
        Description = "Root: a passphrase (Argon2id), read without echo from the terminal, or the first line of standard input when it is redirected.",
        Recursive = true,
    };

    public static readonly Option<string?> Pkcs11Module = new("--pkcs11-module")
    {
        Description = "Root: a PKCS#11 module (for example /usr/lib/softhsm/libsofthsm2.so); with --token-label and --key-label. The PIN is prompted without echo, or read from --pin-fd.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<string?> TokenLabel = new("--token-label")
    {
        Description = "The PKCS#11 token's label.",
        HelpName = "LABEL",
        Recursive = true,
    };

    public static readonly Option<string?> KeyLabel = new("--key-label")
    {
        Description = "The PKCS#11 root key's label.",
        HelpName = "LABEL",
        Recursive = true,
    };

    public static readonly Option<int?> PinFd = new("--pin-fd")
    {
        Description = "Read the PKCS#11 PIN from this open file descriptor (first line) instead of prompting.",
        HelpName = "N",
        Recursive = true,
    };

    public static readonly Option<bool> NoAudit = new("--no-audit")
    {
        Description = "Do not audit this command's operations (by default every operation is recorded in the vault's audit trail).",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Output = CreateOutput();

    public static IEnumerable<Option> All =>
        [Vault, PostgreSql, VaultName, RootKeyFile, RootKeyEnv, PassphrasePrompt, Pkcs11Module, TokenLabel, KeyLabel, PinFd, NoAudit, Output];

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
