using System.CommandLine;
using System.Security.Cryptography;
using KeyVault.Embedded.Cli.Input;
using KeyVault.Embedded.Pkcs11;
using KeyVault.Embedded.PostgreSql;

namespace KeyVault.Embedded.Cli;

/// <summary>
/// Turns the global options into a root key and vault options, and opens the vault. A file vault must exist unless
/// the command creates one (a mistyped path must not silently make a new, empty vault).
/// </summary>
internal static class VaultConnection
{
    /// <summary>
    /// The vault options for the chosen store, without a root. <paramref name="mustExist"/> false: the file must not
    /// exist yet (vault create, vault restore --to).
    /// </summary>
    public static EmbeddedVaultOptions CreateOptions(ParseResult parse, bool mustExist, out string location, string? pathOverride = null)
    {
        // An operator's changes belong in the trail like an app's: audited by default, each record durable before the
        // command exits (Strict), since the process ends right after.
        var options = new EmbeddedVaultOptions();
        options.Audit.Enabled = !parse.GetValue(GlobalOptions.NoAudit);
        options.Audit.Strict = options.Audit.Enabled;
        var connection = parse.GetValue(GlobalOptions.PostgreSql);
        if (pathOverride is null && !string.IsNullOrWhiteSpace(connection))
        {
            var name = parse.GetValue(GlobalOptions.VaultName);
            options.UsePostgreSql(connection, string.IsNullOrWhiteSpace(name) ? PostgreSqlVaultOptions.DefaultVaultName : name);
            location = $"postgresql vault '{(string.IsNullOrWhiteSpace(name) ? PostgreSqlVaultOptions.DefaultVaultName : name)}'";
            return options;
        }

        var path = pathOverride ?? parse.GetValue(GlobalOptions.Vault);
        if (string.IsNullOrWhiteSpace(path))
        {
            path = Environment.GetEnvironmentVariable(GlobalOptions.VaultVariable);
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw CliException.BadParameter($"No vault given: use --vault PATH (or set {GlobalOptions.VaultVariable}), or --postgresql CONNSTRING.");
        }

        var exists = File.Exists(path);
        if (mustExist && !exists)
        {
            throw CliException.NotFound("VaultNotFound", $"There is no vault file '{path}': create one with 'kv vault create'.");
        }

        if (!mustExist && exists)
        {
            throw CliException.Conflict($"The file '{path}' exists already: a new vault is never made over an existing file.");
        }

        options.Path = path;
        location = path;
        return options;
    }

    /// <summary>The root the options name: at most one kind; with none, the key in $KV_ROOT_KEY.</summary>
    public static IRootKeyProvider CreateRoot(ParseResult parse)
    {
        var file = parse.GetValue(GlobalOptions.RootKeyFile);
        var variable = parse.GetValue(GlobalOptions.RootKeyEnv);
        var passphrase = parse.GetValue(GlobalOptions.PassphrasePrompt);
        var module = parse.GetValue(GlobalOptions.Pkcs11Module);
        var given = new[] { file is not null, variable is not null, passphrase, module is not null }.Count(g => g);
        if (given > 1)
        {
            throw CliException.BadParameter("Give one root: --root-key-file, --root-key-env, --passphrase-prompt or --pkcs11-module.");
        }

        if (file is not null)
        {
            return SoftwareRootKey.FromFile(file);
        }

        if (passphrase)
        {
            var bytes = HiddenInput.ReadLine("Vault passphrase: ");
            try
            {
                if (bytes.Length == 0)
                {
                    throw CliException.BadParameter("The passphrase is empty.");
                }

                return SoftwareRootKey.FromPassphrase(bytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        if (module is not null)
        {
            return CreatePkcs11Root(parse, module);
        }

        variable ??= GlobalOptions.RootKeyVariable;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            throw CliException.BadParameter(
                $"No root key: the environment variable '{variable}' is not set. Give --root-key-file, --root-key-env, --passphrase-prompt or --pkcs11-module.");
        }

        return SoftwareRootKey.FromEnvironmentVariable(variable);
    }

    private static Pkcs11RootKey CreatePkcs11Root(ParseResult parse, string module)
    {
        var token = parse.GetValue(GlobalOptions.TokenLabel);
        var label = parse.GetValue(GlobalOptions.KeyLabel);
        if (string.IsNullOrWhiteSpace(token) || string.IsNullOrWhiteSpace(label))
        {
            throw CliException.BadParameter("--pkcs11-module needs --token-label and --key-label.");
        }

        var fd = parse.GetValue(GlobalOptions.PinFd);
        var pin = fd is { } descriptor ? HiddenInput.ReadLineFromDescriptor(descriptor) : HiddenInput.ReadLine($"PIN for token '{token}': ");
        try
        {
            return new Pkcs11RootKey(new Pkcs11RootKeyOptions { ModulePath = module, TokenLabel = token, KeyLabel = label, Pin = pin });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }
}
