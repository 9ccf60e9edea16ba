using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// The store's schema, created and migrated by the library: versioned (a <c>schema_version</c> row), idempotent, and
/// safe when several instances start at once (each migration runs in one transaction under an advisory lock on the
/// schema's name, so the second instance finds it done).
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>The migrations, in order; a migration is never changed once released, only followed by another.</summary>
    private static readonly string[] Migrations =
    [
        // 1: a row per vault with its generation and the manifest root of its last commit; a row per record, keyed by
        // vault and id; a log of the latest commits: each one's id (to learn whether a commit whose connection broke
        // was made) and its link in the vault's history (the root before, its root, their MAC under the vault's root).
        """
        CREATE TABLE {0}.vaults (vault text PRIMARY KEY, generation bigint NOT NULL, root bytea NOT NULL);
        CREATE TABLE {0}.records (vault text NOT NULL, id bigint NOT NULL, key text NOT NULL, value bytea NOT NULL, PRIMARY KEY (vault, id));
        CREATE TABLE {0}.commits (vault text NOT NULL, generation bigint NOT NULL, commit_id uuid NOT NULL, previous bytea NOT NULL, root bytea NOT NULL, mac bytea NOT NULL, PRIMARY KEY (vault, generation));
        """,
    ];

    /// <summary>The schema version this library writes.</summary>
    public static int Version => Migrations.Length;

    /// <summary>
    /// A schema name the store accepts: a plain lowercase SQL identifier (it is put into statements as is) of at most 45
    /// characters (the commit channel, <c>keyvault_embedded_{schema}</c>, is an identifier too).
    /// </summary>
    public static void ValidateName(string name, string parameter)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 45 || !(char.IsAsciiLetterLower(name[0]) || name[0] == '_')
            || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw VaultErrors.BadParameter($"The PostgreSQL {parameter} must be 1 to 45 characters of a-z, 0-9 and '_', not starting with a digit.");
        }
    }

    /// <summary>
    /// Whether vault <paramref name="vault"/> exists in <paramref name="schema"/> (it has committed at least once). Creates
    /// nothing, not even the schema: the operator's tool asks before it opens, so that a mistyped name is not a new vault.
    /// </summary>
    public static async Task<bool> VaultExistsAsync(NpgsqlDataSource dataSource, string schema, string vault, CancellationToken cancellationToken)
    {
        ValidateName(schema, nameof(schema));
        PostgreSqlVaultOptions.ValidateVaultName(vault);
        return await PostgreSqlErrors.GuardAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (var table = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection))
            {
                table.Parameters.Add(new NpgsqlParameter { Value = schema + ".vaults" });
                if (!(bool)(await table.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return false;
                }
            }

            await using var row = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {schema}.vaults WHERE vault = $1 AND generation > 0)", connection);
            row.Parameters.Add(new NpgsqlParameter { Value = vault });
            return (bool)(await row.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, PostgreSqlRecordStore.Describe(dataSource, schema, vault), "looking for the vault", dataSource).ConfigureAwait(false);
    }

    public static async Task EnsureAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = "KeyVault.Embedded schema " + schema });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer NOT NULL)", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int current;
        await using (var read = new NpgsqlCommand($"SELECT max(version) FROM {schema}.schema_version", connection, transaction))
        {
            current = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int version ? version : 0;
        }

        if (current > Version)
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, $"The PostgreSQL schema '{schema}' is at version {current}, newer than this library's {Version}: use a newer KeyVault.Embedded.");
        }

        for (var next = current + 1; next <= Version; next++)
        {
            await using var migrate = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, Migrations[next - 1], schema) + $"; INSERT INTO {schema}.schema_version (version) VALUES ({next})", connection, transaction);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
