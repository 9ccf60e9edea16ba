using KeyVault.Embedded.Storage;
using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// A vault's records in PostgreSQL, shared by every instance of the app: one row per record (id, key, sealed bytes) and
/// one row per vault holding its generation and the manifest root of its last commit. The database only ever holds
/// what the file store holds: sealed, authenticated records; it decides nothing. Several vaults share one schema, each
/// under its name.
/// </summary>
/// <remarks>
/// <para>A commit moves the vault's row, the vault's lock across instances (see <see cref="PostgreSqlWrite"/>): either
/// in one round trip from the head the instance last saw, refused when another instance moved it or holds it
/// (<see cref="CommitAsync"/>), or under the lock taken first (<see cref="BeginWriteAsync"/>); one PostgreSQL
/// transaction either way, returned once PostgreSQL has acknowledged it (synchronous commit). Each commit notifies the
/// schema's channel, which every instance listens to (<see cref="PostgreSqlListener"/>).</para>
/// <para>Erasure (<see cref="StoreCommit.Erase"/>) is not promised: deleted and replaced rows stay in the table's
/// files as dead tuples until PostgreSQL vacuums them. They hold sealed bytes only.</para>
/// <para>A connection that fails is <c>StorageUnavailable</c> (transient); the pool opens a new one on the next call.</para>
/// </remarks>
internal sealed class PostgreSqlRecordStore : ISharedRecordStore
{
    /// <summary>How long an open waits for its first <c>LISTEN</c> before going on without it (the poll then covers).</summary>
    private static readonly TimeSpan ListenWait = TimeSpan.FromSeconds(10);

    private readonly bool _ownsDataSource;
    private PostgreSqlListener? _listener;
    private long _latestHeard;
    private int _disposed;

    private PostgreSqlRecordStore(NpgsqlDataSource dataSource, bool ownsDataSource, string schema, string vault, TimeSpan? pollInterval)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Schema = schema;
        Vault = vault;
        PollInterval = pollInterval;
        Channel = "keyvault_embedded_" + schema;
        Reads = new PostgreSqlReads(schema, vault);
        Location = Describe(dataSource, schema, vault);
    }

    public event Action<long>? Advanced;

    public long LatestHeard => Volatile.Read(ref _latestHeard);

    public string Location { get; }

    public TimeSpan? PollInterval { get; }

    internal NpgsqlDataSource DataSource { get; }

    internal string Schema { get; }

    internal string Vault { get; }

    public string VaultName => Vault;

    /// <summary>The channel every commit in the schema notifies (at most 63 bytes: the schema's name is at most 45).</summary>
    internal string Channel { get; }

    internal PostgreSqlReads Reads { get; }

    /// <summary>How many commits the log keeps (<see cref="PostgreSqlWrite.KeptCommits"/>; tests set fewer).</summary>
    internal int KeptCommits { get; set; } = PostgreSqlWrite.KeptCommits;

    /// <summary>Completes when the store listens for other instances' commits (tests).</summary>
    internal Task Listening => _listener?.Listening ?? Task.CompletedTask;

    /// <summary>Where a vault is: server, database, schema and name; never the user or password.</summary>
    public static string Describe(NpgsqlDataSource dataSource, string schema, string vault) => Describe(dataSource.ConnectionString, schema, vault);

    /// <inheritdoc cref="Describe(NpgsqlDataSource, string, string)"/>
    public static string Describe(string connectionString, string schema, string vault)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var hosts = builder.Host ?? "localhost";
        var server = hosts.Contains(',', StringComparison.Ordinal) || hosts.Contains(':', StringComparison.Ordinal) ? hosts : $"{hosts}:{builder.Port}";
        return $"postgresql://{server}/{builder.Database} schema {schema} vault {vault}";
    }

    /// <summary>Opens (creating or migrating the schema when needed) the store of vault <paramref name="vault"/>.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="vault">The vault's name in the schema.</param>
    /// <param name="schema">The schema that holds the vaults.</param>
    /// <param name="ownsDataSource">Whether disposing the store disposes <paramref name="dataSource"/>.</param>
    /// <param name="pollInterval">How often the vault asks for the head when it heard of no commit; null: never.</param>
    /// <param name="listen">Whether to listen for other instances' commits.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async ValueTask<PostgreSqlRecordStore> OpenAsync(NpgsqlDataSource dataSource, string vault, string schema = PostgreSqlVaultOptions.DefaultSchema, bool ownsDataSource = false, TimeSpan? pollInterval = null, bool listen = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        PostgreSqlSchema.ValidateName(schema, nameof(schema));
        PostgreSqlVaultOptions.ValidateVaultName(vault);
        var location = Describe(dataSource, schema, vault);
        await PostgreSqlErrors.GuardAsync(async () =>
        {
            await PostgreSqlSchema.EnsureAsync(dataSource, schema, cancellationToken).ConfigureAwait(false);
            return true;
        }, location, "creating or migrating the schema", dataSource).ConfigureAwait(false);
        var store = new PostgreSqlRecordStore(dataSource, ownsDataSource, schema, vault, pollInterval);
        if (listen)
        {
            store._listener = new PostgreSqlListener(dataSource, store.Channel, vault, store.Heard);

            // The open reads the head after this: with the LISTEN in place first, no commit falls between the two.
            try
            {
                await store._listener.Listening.WaitAsync(ListenWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                await store.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return store;
    }

    /// <summary>Notes a report (a generation, or <see cref="long.MinValue"/> after a gap) and passes it on.</summary>
    private void Heard(long generation)
    {
        var latest = generation == long.MinValue ? long.MaxValue : generation;
        for (var seen = Volatile.Read(ref _latestHeard); latest > seen; seen = Volatile.Read(ref _latestHeard))
        {
            if (Interlocked.CompareExchange(ref _latestHeard, latest, seen) == seen)
            {
                break;
            }
        }

        Advanced?.Invoke(generation);
    }

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => Reads.ReadAsync(command, id, ct), "a read", cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return RunAsync((command, ct) => Reads.ReadManyAsync(command, ids, ct), "a read", cancellationToken);
    }

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => Reads.ReadRangeAsync(command, first, last, ct), "a read", cancellationToken);

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) =>
        RunAsync(Reads.IsEmptyAsync, "a read", cancellationToken);

    public ValueTask<StoreHead> ReadHeadAsync(CancellationToken cancellationToken = default) =>
        RunAsync((command, ct) => Reads.HeadAsync(command, forUpdate: false, ct), "reading the vault's head", cancellationToken);

    public async ValueTask<IStoreWrite> BeginWriteAsync(CancellationToken cancellationToken = default) =>
        await PostgreSqlWrite.BeginAsync(this, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A commit on its own, with no lock held before it: applied in one round trip only if the vault is still at the
    /// commit's base (<see cref="PostgreSqlWrite.CommitAtBaseAsync"/>); <see cref="StoreConflictException"/> otherwise.
    /// </summary>
    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return PostgreSqlWrite.CommitAtBaseAsync(this, commit, cancellationToken);
    }

    public async ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken = default) =>
        await PostgreSqlSnapshot.OpenAsync(this, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IAsyncDisposable?> TryLeaseAsync(string name, CancellationToken cancellationToken = default) =>
        await PostgreSqlLease.TryTakeAsync(this, name, cancellationToken).ConfigureAwait(false);

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<T> RunAsync<T>(Func<NpgsqlCommand, CancellationToken, ValueTask<T>> read, string what, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return await PostgreSqlErrors.GuardAsync(async () =>
        {
            await using var command = DataSource.CreateCommand();
            return await read(command, cancellationToken).ConfigureAwait(false);
        }, Location, what, DataSource).ConfigureAwait(false);
    }
}
