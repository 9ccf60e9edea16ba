using KeyVault.Embedded.Storage;
using Npgsql;
using NpgsqlTypes;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// A vault's records in PostgreSQL: one row per record (id, key, sealed bytes) and one row per vault holding its
/// generation. The database only ever holds what the file store holds: sealed, authenticated records; it decides
/// nothing. Several vaults share one schema, each under its name.
/// </summary>
/// <remarks>
/// <para>A commit is one PostgreSQL transaction: it locks the vault's generation row (<c>FOR UPDATE</c>), refuses the
/// commit unless the row holds the generation the writer's view is based on (so of two instances committing on the same
/// generation one wins and the other gets a <see cref="StoreConflictException"/> with nothing written), inserts the
/// records to create (a row that exists is a conflict: creates are insert-only), upserts the replaced ones, deletes, and
/// advances the generation. It returns once PostgreSQL has acknowledged the commit (synchronous commit).</para>
/// <para>Erasure (<see cref="StoreCommit.Erase"/>) is not promised: deleted and replaced rows stay in the table's
/// files as dead tuples until PostgreSQL vacuums them. They hold sealed bytes only.</para>
/// </remarks>
internal sealed class PostgreSqlRecordStore : IRecordStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _vault;
    private readonly string _schema;

    private PostgreSqlRecordStore(NpgsqlDataSource dataSource, bool ownsDataSource, string schema, string vault)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _schema = schema;
        _vault = vault;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database} schema {schema} vault {vault}";
    }

    public string Location { get; }

    /// <summary>Opens (creating or migrating the schema when needed) the store of vault <paramref name="vault"/>.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="vault">The vault's name in the schema.</param>
    /// <param name="schema">The schema that holds the vaults.</param>
    /// <param name="ownsDataSource">Whether disposing the store disposes <paramref name="dataSource"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async ValueTask<PostgreSqlRecordStore> OpenAsync(NpgsqlDataSource dataSource, string vault, string schema = "keyvault_embedded", bool ownsDataSource = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        PostgreSqlSchema.ValidateName(schema, nameof(schema));
        if (string.IsNullOrEmpty(vault) || vault.Length > 200)
        {
            throw VaultErrors.BadParameter("A PostgreSQL vault name is 1 to 200 characters.");
        }

        await PostgreSqlSchema.EnsureAsync(dataSource, schema, cancellationToken).ConfigureAwait(false);
        return new PostgreSqlRecordStore(dataSource, ownsDataSource, schema, vault);
    }

    public async ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT id, key, value FROM {_schema}.records WHERE vault = $1 AND id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = _vault });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await using var command = _dataSource.CreateCommand($"SELECT id, key, value FROM {_schema}.records WHERE vault = $1 AND id = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = _vault });
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var found = new Dictionary<long, StoredRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Read(reader);
            found[record.Id] = record;
        }

        return found;
    }

    public async ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT id, key, value FROM {_schema}.records WHERE vault = $1 AND id BETWEEN $2 AND $3 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = _vault });
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = last });
        var records = new List<StoredRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(Read(reader));
        }

        return records;
    }

    public async ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT NOT EXISTS (SELECT 1 FROM {_schema}.records WHERE vault = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = _vault });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CheckGenerationAsync(connection, transaction, commit, cancellationToken).ConfigureAwait(false);
            if (commit.Deletes.Count > 0)
            {
                await using var delete = new NpgsqlCommand($"DELETE FROM {_schema}.records WHERE vault = $1 AND id = ANY($2)", connection, transaction);
                delete.Parameters.Add(new NpgsqlParameter { Value = _vault });
                delete.Parameters.Add(new NpgsqlParameter { Value = commit.Deletes.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await WriteAsync(connection, transaction, commit.Creates, $"INSERT INTO {_schema}.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4)", cancellationToken).ConfigureAwait(false);
            await WriteAsync(connection, transaction, commit.Replaces,
                $"INSERT INTO {_schema}.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4) ON CONFLICT (vault, id) DO UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new StoreConflictException($"A record to create exists already in {Location}.");
        }
    }

    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static StoredRecord Read(NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2));

    // The vault's generation row, locked for the transaction: a commit applies only on the generation it was built on. A
    // vault without a row has generation 0 (nothing committed).
    private async Task CheckGenerationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StoreCommit commit, CancellationToken cancellationToken)
    {
        await using (var ensure = new NpgsqlCommand($"INSERT INTO {_schema}.vaults (vault, generation) VALUES ($1, 0) ON CONFLICT (vault) DO NOTHING", connection, transaction))
        {
            ensure.Parameters.Add(new NpgsqlParameter { Value = _vault });
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long generation;
        await using (var read = new NpgsqlCommand($"SELECT generation FROM {_schema}.vaults WHERE vault = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = _vault });
            generation = (long)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (generation != commit.ExpectedGeneration)
        {
            throw new StoreConflictException($"The commit expects generation {commit.ExpectedGeneration}; {Location} is at {generation}.");
        }

        await using var advance = new NpgsqlCommand($"UPDATE {_schema}.vaults SET generation = $2 WHERE vault = $1", connection, transaction);
        advance.Parameters.Add(new NpgsqlParameter { Value = _vault });
        advance.Parameters.Add(new NpgsqlParameter { Value = commit.Generation });
        await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<StoredRecord> records, string sql, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _vault });
        command.Parameters.Add(new NpgsqlParameter { Value = records.Select(r => r.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = records.Select(r => r.Key).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = records.Select(r => r.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
