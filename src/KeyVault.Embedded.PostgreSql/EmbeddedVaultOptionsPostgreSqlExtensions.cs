using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>Keeps a vault in PostgreSQL instead of a file, for an app whose instances share it.</summary>
public static class EmbeddedVaultOptionsPostgreSqlExtensions
{
    /// <summary>
    /// Keeps the vault in PostgreSQL: leave <see cref="EmbeddedVaultOptions.Path"/> empty. Every instance that opens
    /// the same database, schema and vault name with the same root shares the vault; the database holds only sealed,
    /// authenticated records.
    /// </summary>
    /// <param name="options">The vault's options.</param>
    /// <param name="connectionString">An Npgsql connection string (the library makes and disposes its data source).</param>
    /// <param name="vaultName">The vault's name in the schema.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c>, naming the setting, for a wrong connection string or name.</exception>
    public static EmbeddedVaultOptions UsePostgreSql(this EmbeddedVaultOptions options, string connectionString, string vaultName = PostgreSqlVaultOptions.DefaultVaultName) =>
        options.UsePostgreSql(new PostgreSqlVaultOptions { ConnectionString = connectionString, VaultName = vaultName });

    /// <summary>Keeps the vault in PostgreSQL, through a data source its owner configures and disposes.</summary>
    /// <param name="options">The vault's options.</param>
    /// <param name="dataSource">The database.</param>
    /// <param name="vaultName">The vault's name in the schema.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c>, naming the setting, for a wrong name.</exception>
    public static EmbeddedVaultOptions UsePostgreSql(this EmbeddedVaultOptions options, NpgsqlDataSource dataSource, string vaultName = PostgreSqlVaultOptions.DefaultVaultName)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return options.UsePostgreSql(new PostgreSqlVaultOptions { DataSource = dataSource, VaultName = vaultName });
    }

    /// <summary>Keeps the vault in PostgreSQL as <paramref name="postgreSql"/> says (read now: later changes to it do nothing).</summary>
    /// <param name="options">The vault's options.</param>
    /// <param name="postgreSql">The database, schema, vault name and poll interval.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c>, naming the setting, for a wrong setting.</exception>
    public static EmbeddedVaultOptions UsePostgreSql(this EmbeddedVaultOptions options, PostgreSqlVaultOptions postgreSql)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(postgreSql);
        ThrowIfInvalid(postgreSql, dependencyInjection: false, "PostgreSql");
        options.StoreProvider = new PostgreSqlStoreProvider(postgreSql, null);
        return options;
    }

    internal static void ThrowIfInvalid(PostgreSqlVaultOptions postgreSql, bool dependencyInjection, string path)
    {
        var problems = postgreSql.Problems(dependencyInjection).Select(p => $"{path}:{p.Setting} {p.Problem}").ToList();
        if (problems.Count > 0)
        {
            throw VaultErrors.BadParameter("The PostgreSQL settings are invalid: " + string.Join(" ", problems));
        }
    }
}
