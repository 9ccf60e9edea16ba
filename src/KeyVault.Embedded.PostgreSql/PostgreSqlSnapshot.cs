using KeyVault.Embedded.Storage;
using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// The store as it was when the snapshot was taken: one connection holding a <c>REPEATABLE READ READ ONLY</c>
/// transaction, whose reads see no later commit. Its reads run one at a time (one connection). It never writes.
/// </summary>
internal sealed class PostgreSqlSnapshot : IStoreSnapshot
{
    private readonly PostgreSqlRecordStore _store;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly SemaphoreSlim _one = new(1, 1);

    private PostgreSqlSnapshot(PostgreSqlRecordStore store, NpgsqlConnection connection, NpgsqlTransaction transaction, StoreHead head)
    {
        _store = store;
        _connection = connection;
        _transaction = transaction;
        Head = head;
    }

    public string Location => _store.Location;

    public StoreHead Head { get; }

    public static async ValueTask<PostgreSqlSnapshot> OpenAsync(PostgreSqlRecordStore store, CancellationToken cancellationToken)
    {
        return await PostgreSqlErrors.GuardAsync(async () =>
        {
            var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
                {
                    await readOnly.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // The snapshot is taken by the transaction's first query: this one, so the head is the snapshot's.
                await using var pin = new NpgsqlCommand(null, connection, transaction);
                var head = await store.Reads.HeadAsync(pin, forUpdate: false, cancellationToken).ConfigureAwait(false);
                return new PostgreSqlSnapshot(store, connection, transaction, head);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }, store.Location, "taking a snapshot", store.DataSource).ConfigureAwait(false);
    }

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ReadAsync(command, id, ct), cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ReadManyAsync(command, ids, ct), cancellationToken);

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ReadRangeAsync(command, first, last, ct), cancellationToken);

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAboveAsync(long first, long last, int offset, byte[] above, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ReadRangeAboveAsync(command, first, last, offset, above, ct), cancellationToken);

    public ValueTask<IReadOnlyList<(long Id, byte[] Digest)>> ReadRangeDigestsAsync(long first, long last, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ReadRangeDigestsAsync(command, first, last, ct), cancellationToken);

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_store.Reads.IsEmptyAsync, cancellationToken);

    public ValueTask<IReadOnlyList<CommitLink>> ReadChainAsync(long after, long upTo, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => _store.Reads.ChainAsync(command, after, upTo, ct), cancellationToken);

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("A snapshot of the store is read-only.");

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            // The connection is gone: so is the transaction.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _one.Dispose();
    }

    private async ValueTask<T> RunAsync<T>(Func<NpgsqlCommand, CancellationToken, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PostgreSqlErrors.GuardAsync(async () =>
            {
                await using var command = new NpgsqlCommand(null, _connection, _transaction);
                return await read(command, cancellationToken).ConfigureAwait(false);
            }, _store.Location, "a read of a snapshot", _store.DataSource).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }
}
