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
    /// The vault options for the chosen store, without a root. <paramref name="mustExist"/> false: the file (or the
    /// PostgreSQL vault) must not exist yet (vault create, vault restore --to); true: it must.
    /// </summary>
    public static EmbeddedVaultOptions CreateOptions(ParseResult parse, bool mustExist, out string location, string? pathOverride = null)
    {
        // An operator's changes belong in the trail like an app's: audited by default, each record durable before the
        // command exits (Strict), since the process ends right after.
        var options = new EmbeddedVaultOptions();
        options.Audit.Enabled = !parse.GetValue(GlobalOptions.NoAudit);
        options.Audit.Strict = options.Audit.Enabled;
        options.AnchorPath = parse.GetValue(GlobalOptions.AnchorPath) is { Length: > 0 } anchor ? anchor : null;
        options.DropRollbackAnchor = parse.GetValue(GlobalOptions.DropAnchor);
        var connection = parse.GetValue(GlobalOptions.PostgreSql);
        if (!string.IsNullOrWhiteSpace(connection) && parse.GetValue(GlobalOptions.Vault) is not null)
        {
            throw CliException.BadParameter("Give one vault: --vault PATH or --postgresql CONNSTRING, not both.");
        }

        if (string.IsNullOrWhiteSpace(connection) && parse.GetValue(GlobalOptions.VaultName) is not null)
        {
            throw CliException.BadParameter("--vault-name names a vault in PostgreSQL: it needs --postgresql CONNSTRING.");
        }

        if (parse.GetValue(GlobalOptions.VaultName) is { } given && string.IsNullOrWhiteSpace(given))
        {
            // Given but empty (an unset shell variable): not the default vault, which may be someone else's.
            throw CliException.BadParameter("--vault-name is empty: name the vault, or leave the option out for the default vault.");
        }

        if (pathOverride is null && !string.IsNullOrWhiteSpace(connection))
        {
            var name = parse.GetValue(GlobalOptions.VaultName) ?? PostgreSqlVaultOptions.DefaultVaultName;
            options.UsePostgreSql(connection, name);
            location = $"postgresql vault '{name}'";
            bool found;
            Npgsql.NpgsqlDataSource source;
            try
            {
                source = Npgsql.NpgsqlDataSource.Create(connection);
            }
            catch (ArgumentException)
            {
                throw CliException.BadParameter("--postgresql is not a connection string Npgsql accepts (for example Host=db;Database=vaults;Username=app).");
            }

            using (var dataSource = source)
            {
                found = PostgreSqlVaultExists(dataSource, name);
            }

            if (mustExist && !found)
            {
                throw CliException.NotFound("VaultNotFound", $"There is no {location} in that database: create one with 'kv vault create --postgresql ... --vault-name {name}'.");
            }

            if (!mustExist && found)
            {
                throw CliException.Conflict($"The {location} exists already: a new vault is never made over an existing one.");
            }

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

    // A console tool with no synchronization context: waiting here cannot deadlock.
    private static bool PostgreSqlVaultExists(Npgsql.NpgsqlDataSource dataSource, string name) =>
        PostgreSqlSchema.VaultExistsAsync(dataSource, PostgreSqlVaultOptions.DefaultSchema, name, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// After a refused <c>vault create</c>: whether the vault it was to make exists anyway (a file, or a PostgreSQL
    /// vault). When it does not, a root key generated for it wraps nothing. Unknown (a database out of reach) is "exists".
    /// </summary>
    public static bool VaultExists(ParseResult parse, EmbeddedVaultOptions options)
    {
        if (!string.IsNullOrEmpty(options.Path))
        {
            return File.Exists(options.Path);
        }

        try
        {
            using var dataSource = Npgsql.NpgsqlDataSource.Create(parse.GetValue(GlobalOptions.PostgreSql)!);
            return PostgreSqlVaultExists(dataSource, parse.GetValue(GlobalOptions.VaultName) ?? PostgreSqlVaultOptions.DefaultVaultName);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or VaultException or ArgumentException or TimeoutException)
        {
            return true;
        }
    }

    /// <summary>
    /// Destroys a root key the tool generated for a vault that was then not created, so that a refused
    /// <c>vault create</c> leaves no orphan key in the token; says so on standard error.
    /// </summary>
    public static void RemoveUnusedRootKey(IRootKeyProvider root)
    {
        try
        {
            if (root is Pkcs11RootKey generated && generated.DestroyUnusedRootKey())
            {
                Console.Error.WriteLine("create: the vault was not created, so the root key generated for it was removed from the token.");
            }
        }
        catch (VaultException ex)
        {
            Console.Error.WriteLine($"create: the vault was not created; the root key generated for it is still in the token ({ex.ErrorCode}): remove it, or name it with --key-label without --generate-pkcs11-key.");
        }
    }

    /// <summary>The vault's root, as the global options name it: at most one kind; with none, the key in $KV_ROOT_KEY.</summary>
    public static IRootKeyProvider CreateRoot(ParseResult parse) => CreateRoot(parse, RootOptions.Current);

    /// <summary>
    /// The root a set of options names: exactly one kind. For the current root, none means the key in $KV_ROOT_KEY;
    /// a new root must be named.
    /// </summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="options">Which set of root options to read.</param>
    /// <param name="generateTokenKey">For a PKCS#11 root: first generate the root key in the token (refused when one with the label exists).</param>
    /// <param name="newRoot">The root is being set (a new vault, a migration): a passphrase is asked twice.</param>
    public static IRootKeyProvider CreateRoot(ParseResult parse, RootOptions options, bool generateTokenKey = false, bool newRoot = false)
    {
        var file = parse.GetValue(options.File);
        var variable = parse.GetValue(options.Environment);
        var passphrase = parse.GetValue(options.Passphrase);
        var module = parse.GetValue(options.Module);
        var given = new[] { file is not null, variable is not null, passphrase, module is not null }.Count(g => g);
        var p = options.Prefix;
        var kinds = $"--{p}root-key-file, --{p}root-key-env, --{p}passphrase-prompt or --{p}pkcs11-module";
        if (given > 1)
        {
            throw CliException.BadParameter($"Give one {(p.Length == 0 ? "root" : "new root")}: {kinds}.");
        }

        if (given == 0 && p.Length > 0)
        {
            throw CliException.BadParameter($"Name the new root: {kinds}.");
        }

        if (generateTokenKey && module is null)
        {
            throw CliException.BadParameter($"--{p}generate-pkcs11-key needs --{p}pkcs11-module.");
        }

        if (file is not null)
        {
            return SoftwareRootKey.FromFile(file);
        }

        if (passphrase)
        {
            var bytes = HiddenInput.ReadLine(p.Length == 0 ? "Vault passphrase: " : "New vault passphrase: ");
            byte[]? again = null;
            try
            {
                if (bytes.Length == 0)
                {
                    throw CliException.BadParameter("The passphrase is empty.");
                }

                // A new root's passphrase is asked twice (two lines when standard input is redirected): a migration
                // erases the old wraps, and a new vault would open with nothing else, so a typo would lock it for good.
                if (newRoot || p.Length > 0)
                {
                    again = HiddenInput.ReadLine(p.Length == 0 ? "Vault passphrase, again: " : "New vault passphrase, again: ");
                    if (!CryptographicOperations.FixedTimeEquals(bytes, again))
                    {
                        throw CliException.BadParameter($"--{p}passphrase-prompt: the two passphrases differ; nothing was changed.");
                    }
                }

                return SoftwareRootKey.FromPassphrase(bytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
                if (again is not null)
                {
                    CryptographicOperations.ZeroMemory(again);
                }
            }
        }

        if (module is not null)
        {
            return CreatePkcs11Root(parse, options, module, generateTokenKey);
        }

        variable ??= GlobalOptions.RootKeyVariable;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            throw CliException.BadParameter(
                $"No root key: the environment variable '{variable}' is not set. Give {kinds}.");
        }

        return SoftwareRootKey.FromEnvironmentVariable(variable);
    }

    private static Pkcs11RootKey CreatePkcs11Root(ParseResult parse, RootOptions options, string module, bool generateKey)
    {
        var token = parse.GetValue(options.TokenLabel);
        var label = parse.GetValue(options.KeyLabel);
        var p = options.Prefix;
        if (string.IsNullOrWhiteSpace(token) || string.IsNullOrWhiteSpace(label))
        {
            throw CliException.BadParameter($"--{p}pkcs11-module needs --{p}token-label and --{p}key-label.");
        }

        var fd = parse.GetValue(options.PinFd);
        var pin = fd is { } descriptor ? HiddenInput.ReadLineFromDescriptor(descriptor, $"--{p}pin-fd") : HiddenInput.ReadLine($"PIN for token '{token}': ");
        try
        {
            var rootOptions = new Pkcs11RootKeyOptions { ModulePath = module, TokenLabel = token, KeyLabel = label, Pin = pin, UseTokenAnchor = parse.GetValue(options.TokenAnchor) };
            if (generateKey)
            {
                Pkcs11RootKey.CreateRootKey(rootOptions);
            }

            return new Pkcs11RootKey(rootOptions);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }
}
