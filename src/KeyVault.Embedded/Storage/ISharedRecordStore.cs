namespace KeyVault.Embedded.Storage;

/// <summary>
/// A record store that several vault instances (processes, machines) open at once: a database. Each instance keeps its
/// own authenticated view (manifest, cache); the store serialises their commits and tells them when the vault moved on.
/// </summary>
/// <remarks>
/// <para>Writes are pessimistic: an instance takes the vault's write lock in the store (<see cref="BeginWriteAsync"/>),
/// catches its view up to what the lock reports, runs its units of work on that view and commits under the same lock.
/// So no commit is ever built on a stale view, and Azure's rules (two instances setting one secret both make versions,
/// the later current) hold without retries.</para>
/// <para>Nothing a shared store returns is trusted either: the head it reports is checked against the manifest that the
/// instance loads and authenticates.</para>
/// </remarks>
internal interface ISharedRecordStore : IRecordStore
{
    /// <summary>
    /// Raised (on any thread) when the store learns that another instance committed: the generation it reported. A hint
    /// only: the instance catches up by <see cref="ReadHeadAsync"/> or <see cref="BeginWriteAsync"/>.
    /// </summary>
    event Action<long>? Advanced;

    /// <summary>
    /// How often an instance asks the store for its head when it heard of no commit (a lost notification, a store that
    /// went back while the instance was idle). Null: never.
    /// </summary>
    TimeSpan? PollInterval { get; }

    /// <summary>The vault's generation and the manifest root its last commit wrote (zeros before the first commit).</summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c>:The store cannot be reached.</exception>
    ValueTask<StoreHead> ReadHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the vault's write lock in the store (other instances' writes wait until the returned write is committed
    /// or disposed) and reports the head it locked.
    /// </summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c>:The store cannot be reached; nothing is locked.</exception>
    ValueTask<IStoreWrite> BeginWriteAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A read-only view of the store as it is now, unchanged by later commits until disposed (a backup's snapshot).
    /// Take it while holding the write lock to have it at a known generation.
    /// </summary>
    ValueTask<IRecordStore> OpenSnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Tries to become the one instance that runs <paramref name="name"/> (a background pass) now: the lease, or null
    /// when another instance holds it. The lease ends when disposed, or when this instance's connection is lost.
    /// </summary>
    ValueTask<IAsyncDisposable?> TryLeaseAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A vault's head in a shared store: the generation of its last commit and that commit's manifest root.</summary>
/// <param name="Generation">0 before the first commit.</param>
/// <param name="Root">The manifest root the commit wrote (empty before the first commit).</param>
internal readonly record struct StoreHead(long Generation, ReadOnlyMemory<byte> Root);

/// <summary>One instance's hold on a shared vault's write lock, until it commits once or is disposed (rolled back).</summary>
internal interface IStoreWrite : IAsyncDisposable
{
    /// <summary>The head the lock was taken at: the instance's view must be at it before anything is built on it.</summary>
    StoreHead Head { get; }

    /// <summary>
    /// Applies the commit atomically and releases the lock. When it returns, the commit is durable. A lost connection
    /// is <see cref="VaultException"/> <c>StorageUnavailable</c>: the commit did not happen, or (the connection lost while
    /// committing, and the outcome not learnt on reconnecting) the message says its outcome is unknown. A commit the
    /// store confirmed on reconnecting is a success.
    /// </summary>
    /// <exception cref="StoreConflictException">A record to create exists already (the store was altered).</exception>
    ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default);
}
