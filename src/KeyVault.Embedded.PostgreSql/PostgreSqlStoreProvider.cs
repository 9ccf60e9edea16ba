using KeyVault.Embedded.Storage;
using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>Opens a vault's store in PostgreSQL from validated options (a data source given, or one made from a connection string and owned).</summary>
internal sealed class PostgreSqlStoreProvider : RecordStoreProvider
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _connectionString;
    private readonly string _schema;
    private readonly string _vault;
    private readonly TimeSpan _pollInterval;

    public PostgreSqlStoreProvider(PostgreSqlVaultOptions options, string? connectionString)
    {
        _dataSource = options.DataSource;
        _connectionString = options.DataSource is null ? connectionString ?? options.ConnectionString : null;
        _schema = options.Schema;
        _vault = options.VaultName;
        _pollInterval = options.PollInterval;
        if (_dataSource is null && string.IsNullOrWhiteSpace(_connectionString))
        {
            throw VaultErrors.BadParameter("The PostgreSQL store needs a connection string or a data source.");
        }

        Location = PostgreSqlRecordStore.Describe(_dataSource?.ConnectionString ?? _connectionString!, _schema, _vault);
    }

    public override string Location { get; }

    public override async ValueTask<IRecordStore> OpenAsync(CancellationToken cancellationToken)
    {
        var owned = _dataSource is null;
        var dataSource = _dataSource ?? NpgsqlDataSource.Create(_connectionString!);
        try
        {
            return await PostgreSqlRecordStore.OpenAsync(dataSource, _vault, _schema, owned, _pollInterval, listen: true, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (owned)
            {
                await dataSource.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }
}
