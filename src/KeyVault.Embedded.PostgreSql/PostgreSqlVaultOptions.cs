using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// Where a vault lives in PostgreSQL (<c>"EmbeddedVault": { "PostgreSql": { ... } }</c>): the database, the schema and
/// the vault's name in it. The database holds only sealed, authenticated records; the root and every key stay in the
/// app.
/// </summary>
public sealed class PostgreSqlVaultOptions
{
    /// <summary>The schema used when none is given.</summary>
    public const string DefaultSchema = "keyvault_embedded";

    /// <summary>The vault name used when none is given.</summary>
    public const string DefaultVaultName = "default";

    /// <summary>
    /// An Npgsql connection string. Give this, <see cref="ConnectionStringName"/> or <see cref="DataSource"/> (with
    /// dependency injection, an <see cref="NpgsqlDataSource"/> registered in the services is used when none is given).
    /// Keep the password out of configuration files (an environment variable, a password file or a secret store).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The name of a connection string in the configuration's <c>ConnectionStrings</c> section (dependency injection only).</summary>
    public string? ConnectionStringName { get; set; }

    /// <summary>The data source to use (its owner disposes it); takes precedence over the connection string.</summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>
    /// The schema holding the vaults (created and migrated by the library): 1 to 45 characters of a-z, 0-9 and '_'.
    /// Default <c>keyvault_embedded</c>.
    /// </summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>The vault's name in the schema (one schema holds several vaults): 1 to 200 characters. Default <c>default</c>.</summary>
    public string VaultName { get; set; } = DefaultVaultName;

    /// <summary>
    /// How often an instance asks the database for the vault's head besides listening for other instances' commits
    /// (<c>LISTEN</c>/<c>NOTIFY</c>): the longest another instance's commit stays unseen when a notification is lost,
    /// and how soon an idle instance sees a database rolled back. On the vault's clock. Default one second; at least 100 ms.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the vault is, never the connection string or its password.</summary>
    /// <returns>A description for logs.</returns>
    public override string ToString()
    {
        var source = DataSource is not null ? "a data source" : ConnectionStringName is not null ? $"connection string '{ConnectionStringName}'" : ConnectionString is not null ? "a connection string" : "no database";
        return $"PostgreSqlVaultOptions {{ {source}, Schema = {Schema}, VaultName = {VaultName} }}";
    }

    /// <summary>A vault name the store accepts.</summary>
    internal static void ValidateVaultName(string? vault)
    {
        if (string.IsNullOrEmpty(vault) || vault.Length > 200 || vault.Any(char.IsControl))
        {
            throw VaultErrors.BadParameter("A PostgreSQL vault name is 1 to 200 characters, none of them a control character.");
        }
    }

    /// <summary>Every wrong setting by its name under <c>PostgreSql</c>, with the rule it breaks. Never reads out a password.</summary>
    internal IEnumerable<(string Setting, string Problem)> Problems(bool dependencyInjection)
    {
        var sources = (DataSource is null ? 0 : 1) + (string.IsNullOrWhiteSpace(ConnectionString) ? 0 : 1) + (string.IsNullOrWhiteSpace(ConnectionStringName) ? 0 : 1);
        if (sources > 1)
        {
            yield return ("ConnectionString", "and ConnectionStringName (or a DataSource) are both set: give one.");
        }
        else if (sources == 0 && !dependencyInjection)
        {
            yield return ("ConnectionString", "is required: the database to keep the vault in (or give a DataSource).");
        }
        else if (!string.IsNullOrWhiteSpace(ConnectionStringName) && !dependencyInjection)
        {
            yield return ("ConnectionStringName", "is read from configuration with dependency injection only: give ConnectionString or DataSource.");
        }

        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            string? problem = null;
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException)
            {
                problem = "is not a valid Npgsql connection string.";
            }

            if (problem is not null)
            {
                yield return ("ConnectionString", problem);
            }
        }

        if (string.IsNullOrEmpty(Schema) || Schema.Length > 45 || !(char.IsAsciiLetterLower(Schema[0]) || Schema[0] == '_') || !Schema.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            yield return ("Schema", "must be 1 to 45 characters of a-z, 0-9 and '_', not starting with a digit.");
        }

        if (string.IsNullOrEmpty(VaultName) || VaultName.Length > 200 || VaultName.Any(char.IsControl))
        {
            yield return ("VaultName", "must be 1 to 200 characters, none of them a control character.");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromDays(1))
        {
            yield return ("PollInterval", $"is {PollInterval}: it must be between 100 ms and one day.");
        }
    }
}
