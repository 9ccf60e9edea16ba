using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>
/// The baseline: Npgsql used directly for the shape of transaction a vault commit is, on tables shaped as the store's
/// (a generation row per vault, a row per record, a commit log), with nothing of the vault's around it.
/// </summary>
internal sealed class RawNpgsql : IDisposable
{
    private const string Vault = "raw";
    private readonly NpgsqlDataSource _dataSource;
    private readonly byte[] _version = RandomNumberGenerator.GetBytes(239);
    private readonly byte[] _small = RandomNumberGenerator.GetBytes(560);
    private readonly byte[][] _buckets = [RandomNumberGenerator.GetBytes(3072), RandomNumberGenerator.GetBytes(4096)];
    private readonly byte[] _root = RandomNumberGenerator.GetBytes(32);

    // The head as the vault-shaped writer last left it (its "view"); the vault row starts at generation 0, root empty.
    private long _generation;
    private byte[] _viewRoot = [];

    public RawNpgsql(BenchmarkCluster cluster)
    {
        cluster.Execute("""
            CREATE SCHEMA raw_bench;
            CREATE TABLE raw_bench.vaults (vault text PRIMARY KEY, generation bigint NOT NULL, root bytea NOT NULL);
            CREATE TABLE raw_bench.records (vault text NOT NULL, id bigint NOT NULL, key text NOT NULL, value bytea NOT NULL, PRIMARY KEY (vault, id));
            CREATE TABLE raw_bench.commits (vault text NOT NULL, generation bigint NOT NULL, commit_id uuid NOT NULL, previous bytea NOT NULL, root bytea NOT NULL, mac bytea NOT NULL, PRIMARY KEY (vault, generation));
            INSERT INTO raw_bench.vaults (vault, generation, root) VALUES ('raw', 0, ''::bytea);
            """);
        _dataSource = cluster.NewDataSource();
    }

    /// <summary>
    /// One durable commit of two new records and the next generation: <c>BEGIN; SELECT generation ... FOR UPDATE</c>
    /// (one round trip: Npgsql sends the <c>BEGIN</c> with it), one batch of an <c>INSERT ... SELECT * FROM
    /// unnest(...)</c> of two records (239 bytes, a secret version's sealed size, and 560 bytes) and the <c>UPDATE</c>
    /// of the generation, then <c>COMMIT</c> (PostgreSQL flushes its WAL before answering): three round trips.
    /// </summary>
    public async Task DurableWriteAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        var generation = await LockAsync(connection, transaction).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO raw_bench.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4)",
                Vault,
                Array(new[] { 2 * generation, (2 * generation) + 1 }, NpgsqlDbType.Bigint),
                Array(new[] { $"secrets/secret-{generation % 100}/{generation:x32}", $"secrets/secret-{generation % 100}" }, NpgsqlDbType.Text),
                Array(new[] { _version, _small }, NpgsqlDbType.Bytea)));
            batch.BatchCommands.Add(Command("UPDATE raw_bench.vaults SET generation = $2, root = $3 WHERE vault = $1", Vault, generation + 1, _root));
            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The statements a vault's <c>SetSecretAsync</c> sends (<c>PostgreSqlWrite</c>; read from the server's
    /// <c>log_statement = all</c>), without the vault: one batch of <c>BEGIN</c>, the vault's row locked without waiting
    /// (<c>FOR UPDATE NOWAIT</c>) and moved from the generation and root the writer last saw (a conditional
    /// <c>UPDATE</c> whose miss is an error), the version's insert (239 bytes), the upsert of one manifest bucket (3 or
    /// 4 KiB, over 64 buckets: the sizes the vault's buckets reach in this benchmark, padded to 1 KiB classes), the commit log's insert and the removal of the row that leaves its 10,000 by its key (a
    /// sweep of older rows every 1,000th), a <c>pg_notify</c> and <c>COMMIT</c>: one round trip, as the vault's
    /// optimistic commit. The generation is tracked here as the vault's view tracks it.
    /// </summary>
    public async Task VaultShapedWriteAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        var generation = _generation;
        var next = generation + 1;
        var root = RandomNumberGenerator.GetBytes(32);
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            batch.BatchCommands.Add(Command("SELECT 1 FROM raw_bench.vaults WHERE vault = $1 FOR UPDATE NOWAIT", Vault));
            batch.BatchCommands.Add(Command(
                "WITH moved AS (UPDATE raw_bench.vaults SET generation = $2, root = $3 WHERE vault = $1 AND generation = $4 AND root = $5 RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM moved)",
                Vault, next, root, generation, _viewRoot));
            batch.BatchCommands.Add(Command(
                "INSERT INTO raw_bench.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4)",
                Vault,
                Array(new[] { (1L << 40) + generation }, NpgsqlDbType.Bigint),
                Array(new[] { $"secrets/secret-{generation % 100}/{generation:x32}" }, NpgsqlDbType.Text),
                Array(new[] { _version }, NpgsqlDbType.Bytea)));
            batch.BatchCommands.Add(Command(
                "INSERT INTO raw_bench.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4) ON CONFLICT (vault, id) DO UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value",
                Vault,
                Array(new[] { (2L << 40) + (generation % 64) }, NpgsqlDbType.Bigint),
                Array(new[] { $"~manifest/{generation % 64:x6}" }, NpgsqlDbType.Text),
                Array(new[] { _buckets[generation % 2] }, NpgsqlDbType.Bytea)));
            batch.BatchCommands.Add(Command("INSERT INTO raw_bench.commits (vault, generation, commit_id, previous, root, mac) VALUES ($1, $2, $3, $4, $5, $6)", Vault, next, Guid.NewGuid(), _viewRoot, root, _root));
            batch.BatchCommands.Add(Command(next % 1000 == 0 ? "DELETE FROM raw_bench.commits WHERE vault = $1 AND generation <= $2" : "DELETE FROM raw_bench.commits WHERE vault = $1 AND generation = $2", Vault, next - 10_000));
            batch.BatchCommands.Add(Command("SELECT pg_notify($1, $2)", "raw_bench", $"{next}:{Vault}"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        (_generation, _viewRoot) = (next, root);
    }

    public void Dispose() => _dataSource.Dispose();

    private static async Task<long> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var select = new NpgsqlCommand("SELECT generation FROM raw_bench.vaults WHERE vault = $1 FOR UPDATE", connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = Vault });
        return (long)(await select.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    private static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType type) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
