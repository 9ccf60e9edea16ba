using KeyVault.Embedded.Storage;
using Npgsql;
using NpgsqlTypes;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// One instance's hold on a vault's write lock: a transaction that locked the vault's row (<c>FOR UPDATE</c>), so other
/// instances' writes wait, and that commits the vault commit built on the head it locked.
/// </summary>
/// <remarks>
/// A commit writes its records, moves the vault's row to the new generation and manifest root, logs its random commit
/// id under that generation (the last <see cref="PostgreSqlRecordStore.KeptCommits"/>, by default <see cref="KeptCommits"/>, are kept), and notifies the other instances, all in the
/// one transaction. When the connection fails during <c>COMMIT</c>, the outcome is learnt from the log on a new
/// connection (waiting, at most <see cref="ResolveTimeout"/>, for the old transaction's lock): a logged id is a success,
/// a missing one a failure that changed nothing, and an unreachable database an outcome unknown.
/// </remarks>
internal sealed class PostgreSqlWrite : IStoreWrite
{
    /// <summary>
    /// How many commits the log keeps per vault: enough to resolve any commit in doubt, and to let an instance that was
    /// away check that the head it finds descends from the state it saw (one away for longer refuses to write).
    /// </summary>
    public const int KeptCommits = 10_000;

    /// <summary>
    /// Every this many generations, a commit also removes whatever older rows the log still holds below the kept ones
    /// (rows left by a restored dump or a changed <see cref="KeptCommits"/>). The other commits remove only the one row
    /// that falls out of the kept window, found by its key: a range delete on every commit walks the index entries of
    /// every row deleted since the last vacuum, and cost a quarter of a commit's time on the database.
    /// </summary>
    public const int SweepEvery = 1000;

    /// <summary>
    /// How long a write waits for the vault's lock held by another instance before failing as unavailable (an instance
    /// cut off from the server keeps the lock until the server ends its session).
    /// </summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long learning a commit's outcome waits for the database.</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);

    private readonly PostgreSqlRecordStore _store;
    private NpgsqlConnection? _connection;
    private bool _committed;

    // A write that took no lock (CommitAtBaseAsync): its batch begins the transaction and moves the head only from the
    // commit's base.
    private bool _conditional;

    private PostgreSqlWrite(PostgreSqlRecordStore store, NpgsqlConnection connection)
    {
        _store = store;
        _connection = connection;
    }

    public StoreHead Head { get; private set; }

    public static async ValueTask<PostgreSqlWrite> BeginAsync(PostgreSqlRecordStore store, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

            // One round trip: the transaction begun, a bound on the wait for another instance's lock (an instance cut
            // off while holding it keeps it until the server notices), the vault's row made when missing, and locked.
            // The transaction is PostgreSQL's own (BEGIN, COMMIT), not an NpgsqlTransaction, so that the commit can be
            // sent in the batch of its writes.
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'"));
            var ensure = new NpgsqlBatchCommand($"INSERT INTO {store.Schema}.vaults (vault, generation, root) VALUES ($1, 0, ''::bytea) ON CONFLICT (vault) DO NOTHING");
            ensure.Parameters.Add(new NpgsqlParameter { Value = store.Vault });
            batch.BatchCommands.Add(ensure);
            var lockRow = new NpgsqlBatchCommand($"SELECT generation, root FROM {store.Schema}.vaults WHERE vault = $1 FOR UPDATE");
            lockRow.Parameters.Add(new NpgsqlParameter { Value = store.Vault });
            batch.BatchCommands.Add(lockRow);
            var write = new PostgreSqlWrite(store, connection);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            write.Head = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StoreHead(reader.GetInt64(0), (byte[])reader.GetValue(1))
                : throw new VaultIntegrityException($"The vault's row in {store.Location} was deleted while this write waited for its lock: the database was altered.");
            await reader.DisposeAsync().ConfigureAwait(false);
            return write;
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw PostgreSqlErrors.Translate(ex, store.Location, "taking the vault's write lock", store.DataSource);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// A commit built on the instance's view, with no lock taken before it: one round trip that begins, locks the
    /// vault's row without waiting, moves it from the commit's base (its expected generation and the root before it)
    /// to the new head, writes, logs, notifies and commits. When the row is locked by another instance or not at that
    /// base (another instance committed first), the batch stops there and nothing is written:
    /// <see cref="StoreConflictException"/>, not tampered.
    /// </summary>
    public static async ValueTask CommitAtBaseAsync(PostgreSqlRecordStore store, StoreCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        NpgsqlConnection connection;
        try
        {
            connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw PostgreSqlErrors.Translate(ex, store.Location, "a write (not made)", store.DataSource);
        }

        await using var write = new PostgreSqlWrite(store, connection) { Head = new StoreHead(commit.ExpectedGeneration, commit.Previous), _conditional = true };
        await write.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (_connection is not { } connection)
        {
            throw new InvalidOperationException("This write was committed or released already.");
        }

        if (commit.ExpectedGeneration != Head.Generation || commit.Generation != Head.Generation + 1)
        {
            throw new StoreConflictException($"The commit expects generation {commit.ExpectedGeneration}; {_store.Location} is at {Head.Generation}.");
        }

        // A COMMIT whose wait for a synchronous standby is cancelled (the command timed out, an administrator) still
        // commits on the primary, with only a warning: then the write may be missing from the standby that a failover
        // promotes, so it is not reported as a success.
        // Told apart by severity, which PostgreSQL never translates (the text is in the server's language): nothing
        // else in the batch warns.
        var unreplicated = false;
        void OnNotice(object sender, NpgsqlNoticeEventArgs e) =>
            unreplicated |= string.Equals(e.Notice.InvariantSeverity, "WARNING", StringComparison.Ordinal);

        // One round trip: the writes, the head moved, the log, the notification and COMMIT. PostgreSQL runs none of
        // the batch after a statement that fails, so a write that fails leaves the transaction to roll back.
        var commitId = Guid.NewGuid();
        var backend = connection.ProcessID;
        await using var batch = WriteBatch(connection, commit, commitId, _conditional);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        connection.Notice += OnNotice;
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (_conditional && ex.SqlState is PostgresErrorCodes.DivisionByZero or PostgresErrorCodes.LockNotAvailable)
        {
            // The vault's row is locked by another instance, or not at the commit's base (see WriteBatch): another
            // instance commits or committed first.
            connection.Notice -= OnNotice;
            await ReleaseAsync().ConfigureAwait(false);
            throw new StoreConflictException($"The commit expects generation {commit.ExpectedGeneration} with the root it was built on; {_store.Location} has moved on.");
        }
        catch (PostgresException ex) when (string.Equals(ex.InvariantSeverity, "ERROR", StringComparison.Ordinal))
        {
            // The server answered with an error (a write refused, or the COMMIT itself): the transaction is aborted and
            // nothing of it was committed. (An error that ends the session, FATAL, may come after a COMMIT: in doubt.)
            connection.Notice -= OnNotice;
            await ReleaseAsync().ConfigureAwait(false);
            throw ex.SqlState switch
            {
                PostgresErrorCodes.UniqueViolation when ex.TableName == "commits" => new StoreConflictException($"The log of commits in {_store.Location} holds generation {commit.Generation} already, ahead of the vault's head: the database was restored without its commit log, or altered.") { Tampered = true },

                // Under the vault's lock at the generation the commit was built on, a record to create can only exist
                // if someone wrote rows behind the vault's back.
                PostgresErrorCodes.UniqueViolation => new StoreConflictException($"A record to create exists already in {_store.Location}, where no instance wrote it: the database was altered.") { Tampered = true },
                _ => PostgreSqlErrors.Translate(ex, _store.Location, "a write (not made)", _store.DataSource),
            };
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // The batch was sent with its COMMIT, and no answer said what became of it.
            connection.Notice -= OnNotice;
            await ReleaseAsync().ConfigureAwait(false);
            _store.DataSource.Clear();
            if (unreplicated)
            {
                // The session ended while the COMMIT waited for the standby: the primary keeps it, the standby may not.
                throw VaultErrors.StorageUnavailable($"the connection to {_store.Location} was lost while the write waited for the synchronous standby: the primary may keep it and a failover lose it, so whether it is kept is unknown; read before writing it again", ex);
            }

            if (await ResolveAsync(commit.Generation, commitId, _conditional ? backend : null).ConfigureAwait(false) is not { } committed)
            {
                throw VaultErrors.StorageUnavailable($"the connection to {_store.Location} was lost while committing, and whether the write was made is unknown: read before writing it again", ex);
            }

            if (!committed)
            {
                throw PostgreSqlErrors.Translate(ex, _store.Location, "a write (not made)", _store.DataSource);
            }

            return; // the database has it: a success whose acknowledgement was lost
        }

        connection.Notice -= OnNotice;
        _committed = true;
        await ReleaseAsync().ConfigureAwait(false);
        if (unreplicated)
        {
            throw VaultErrors.StorageUnavailable($"the write reached the primary of {_store.Location}, but its wait for the synchronous standby was cancelled, so a failover may lose it: whether it is kept is unknown; read before writing it again", null);
        }
    }

    public ValueTask DisposeAsync() => ReleaseAsync();

    private async ValueTask ReleaseAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is null)
        {
            return;
        }

        if (!_committed && connection.FullState == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
            {
                // A broken connection: the server rolls the transaction back when it sees it gone.
            }
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private NpgsqlBatch WriteBatch(NpgsqlConnection connection, StoreCommit commit, Guid commitId, bool conditional)
    {
        var schema = _store.Schema;
        var batch = new NpgsqlBatch(connection);
        if (conditional)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'")); // a table lock held by someone
            if (commit.ExpectedGeneration == 0)
            {
                batch.BatchCommands.Add(Command($"INSERT INTO {schema}.vaults (vault, generation, root) VALUES ($1, 0, ''::bytea) ON CONFLICT (vault) DO NOTHING", _store.Vault));
            }

            // The vault's row locked without waiting: another instance holding it is about to move the head, so this
            // commit could only find it moved (lock_not_available: the batch stops there). Then the head moves only
            // from the commit's base; no row moved is made an error (a division by zero: the one statement that can
            // raise it), which stops the batch before any write. The root is compared too when the commit names it (a
            // vault's commits on a shared store always do).
            batch.BatchCommands.Add(Command($"SELECT 1 FROM {schema}.vaults WHERE vault = $1 FOR UPDATE NOWAIT", _store.Vault));
            var baseRoot = commit.Previous.Length > 0 || commit.ExpectedGeneration == 0 ? " AND root = $5" : string.Empty;
            batch.BatchCommands.Add(Command(
                $"WITH moved AS (UPDATE {schema}.vaults SET generation = $2, root = $3 WHERE vault = $1 AND generation = $4{baseRoot} RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM moved)",
                _store.Vault, commit.Generation, commit.Root, commit.ExpectedGeneration, commit.Previous));
        }
        else
        {
            batch.BatchCommands.Add(Command($"UPDATE {schema}.vaults SET generation = $2, root = $3 WHERE vault = $1", _store.Vault, commit.Generation, commit.Root));
        }

        if (commit.Deletes.Count > 0)
        {
            batch.BatchCommands.Add(Command($"DELETE FROM {schema}.records WHERE vault = $1 AND id = ANY($2)", _store.Vault, Array(commit.Deletes, NpgsqlDbType.Bigint)));
        }

        AddWrites(batch, commit.Creates, $"INSERT INTO {schema}.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4)");
        AddWrites(batch, commit.Replaces, $"INSERT INTO {schema}.records (vault, id, key, value) SELECT $1, * FROM unnest($2, $3, $4) ON CONFLICT (vault, id) DO UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value");
        batch.BatchCommands.Add(Command($"INSERT INTO {schema}.commits (vault, generation, commit_id, previous, root, mac) VALUES ($1, $2, $3, $4, $5, $6)", _store.Vault, commit.Generation, commitId, commit.Previous, commit.Root, commit.ChainMac));
        var dropped = commit.Generation - _store.KeptCommits;
        batch.BatchCommands.Add(commit.Generation % SweepEvery == 0
            ? Command($"DELETE FROM {schema}.commits WHERE vault = $1 AND generation <= $2", _store.Vault, dropped)
            : Command($"DELETE FROM {schema}.commits WHERE vault = $1 AND generation = $2", _store.Vault, dropped));
        batch.BatchCommands.Add(Command("SELECT pg_notify($1, $2)", _store.Channel, PostgreSqlListener.Payload(_store.Vault, commit.Generation)));
        return batch;
    }

    private void AddWrites(NpgsqlBatch batch, List<StoredRecord> records, string sql)
    {
        if (records.Count > 0)
        {
            batch.BatchCommands.Add(Command(sql, _store.Vault, Array(records.Select(r => r.Id), NpgsqlDbType.Bigint), Array(records.Select(r => r.Key), NpgsqlDbType.Text), Array(records.Select(r => r.Value), NpgsqlDbType.Bytea)));
        }
    }

    private static NpgsqlParameter Array<T>(IEnumerable<T> values, NpgsqlDbType type) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>Whether the commit logged as <paramref name="commitId"/> at <paramref name="generation"/> was made; null when that cannot be learnt.</summary>
    /// <remarks>
    /// A locked write held the vault's row from its first round trip, so waiting for the row is waiting for its
    /// transaction to end. A conditional write takes the row only in the batch that carries its <c>COMMIT</c>, which may
    /// not even have reached the server yet (the network stalled, the bytes still in a kernel's buffer): its session
    /// (<paramref name="backend"/>) is ended first, and waited for, so that nothing of it can commit after the log is read.
    /// </remarks>
    private async Task<bool?> ResolveAsync(long generation, Guid commitId, int? backend)
    {
        using var timeout = new CancellationTokenSource(ResolveTimeout);
        try
        {
            await using var connection = await _store.DataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            if (backend is { } pid)
            {
                // pg_terminate_backend with a timeout waits for the session to be gone. None left by that pid (it ended
                // already: the server restarted, or it noticed the lost connection) is as good.
                await using var end = new NpgsqlCommand(
                    "SELECT coalesce(bool_and(pg_terminate_backend(pid, $2)), true) FROM pg_stat_activity WHERE pid = $1 AND usename = current_user AND datname = current_database()",
                    connection);
                end.Parameters.Add(new NpgsqlParameter { Value = pid });
                end.Parameters.Add(new NpgsqlParameter { Value = (long)(ResolveTimeout.TotalMilliseconds / 2) });
                if (await end.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false) is not true)
                {
                    return null; // the session is still there: its batch may yet commit
                }
            }

            await using var transaction = await connection.BeginTransactionAsync(timeout.Token).ConfigureAwait(false);

            // The vault's row stays locked until the old transaction has committed or rolled back: wait for that.
            await using (var limit = new NpgsqlCommand($"SET LOCAL lock_timeout = '{(int)ResolveTimeout.TotalMilliseconds}ms'", connection, transaction))
            {
                await limit.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
            }

            await using (var wait = new NpgsqlCommand($"SELECT 1 FROM {_store.Schema}.vaults WHERE vault = $1 FOR SHARE", connection, transaction))
            {
                wait.Parameters.Add(new NpgsqlParameter { Value = _store.Vault });
                await wait.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
            }

            bool made;
            await using (var read = new NpgsqlCommand($"SELECT commit_id FROM {_store.Schema}.commits WHERE vault = $1 AND generation = $2", connection, transaction))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = _store.Vault });
                read.Parameters.Add(new NpgsqlParameter { Value = generation });
                made = await read.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false) is Guid logged && logged == commitId;
            }

            if (!made)
            {
                return false;
            }

            // Made on this server; is it on the synchronous standby too? This transaction locked a row, so its COMMIT
            // waits for the standby up to a point after the write: a warning (the wait cut short) leaves it unknown.
            var warned = false;
            void OnNotice(object sender, NpgsqlNoticeEventArgs e) => warned |= string.Equals(e.Notice.InvariantSeverity, "WARNING", StringComparison.Ordinal);
            connection.Notice += OnNotice;
            await transaction.CommitAsync(timeout.Token).ConfigureAwait(false);
            connection.Notice -= OnNotice;
            return warned ? null : true;
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
        {
            return null;
        }
    }
}
