namespace KeyVault.Embedded.Storage;

/// <summary>
/// A record store that several vault instances (processes, machines) open at once: a database. Each instance keeps its
/// own authenticated view (manifest, cache); the store serialises their commits and tells them when the vault moved on.
/// </summary>
/// <remarks>
/// <para>Writes are optimistic or locked. Optimistic: an instance runs its units of work on its own view and commits
/// with <see cref="IRecordStore.CommitAsync"/>, which applies only if the store is still at the commit's base (its
/// expected generation and the root before it) and is a <see cref="StoreConflictException"/> otherwise, without waiting
/// for another instance's lock; the vault then runs the units of work again, locked. Locked: the instance takes the
/// vault's write lock in the store (<see cref="BeginWriteAsync"/>), catches its view up to what the lock reports, runs
/// its units of work on that view and commits under the same lock. So no commit is ever built on a stale view, and
/// Azure's rules (two instances setting one secret both make versions, the later current) hold.</para>
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
    /// The highest generation the store has reported through <see cref="Advanced"/> since it opened (0: none;
    /// <see cref="long.MaxValue"/>: a report may have been missed). A vault that starts watching after its open compares
    /// it with its view, so that a commit heard between the open's reads and the first handler is not lost.
    /// </summary>
    long LatestHeard { get; }

    /// <summary>
    /// How often an instance asks the store for its head when it heard of no commit (a lost notification, a store that
    /// went back while the instance was idle). Null: never.
    /// </summary>
    TimeSpan? PollInterval { get; }

    /// <summary>The vault's name in the store: recorded in the header at creation, and checked at every open and catch-up.</summary>
    string VaultName { get; }

    /// <summary>The vault's generation and the manifest root its last commit wrote (zeros before the first commit).</summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c>: the store cannot be reached.</exception>
    ValueTask<StoreHead> ReadHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the vault's write lock in the store (other instances' writes wait until the returned write is committed
    /// or disposed) and reports the head it locked.
    /// </summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c>: the store cannot be reached; nothing is locked.</exception>
    ValueTask<IStoreWrite> BeginWriteAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A read-only view of the store as it is now, unchanged by later commits until disposed (a catch-up's reads, a
    /// backup's snapshot), with the head it shows. Taken while holding the write lock, it is at the lock's head.
    /// </summary>
    ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Tries to become the one instance that runs <paramref name="name"/> (a background pass) now: the lease, or null
    /// when another instance holds it. The lease ends when disposed, or when this instance's connection is lost.
    /// </summary>
    ValueTask<IAsyncDisposable?> TryLeaseAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A shared store as it was at one moment: its records, its head, and the chain of commits that led there.</summary>
internal interface IStoreSnapshot : IRecordStore
{
    /// <summary>The head at the snapshot.</summary>
    StoreHead Head { get; }

    /// <summary>
    /// The records with ids from <paramref name="first"/> to <paramref name="last"/>, in id order, whose bytes from
    /// <paramref name="offset"/> compare above <paramref name="above"/> (unsigned, byte by byte, as big-endian numbers
    /// do): the manifest buckets written after a generation, which each bucket carries at a fixed place. A hint for a
    /// catch-up, never trusted: what it leaves out is found by the manifest's root.
    /// </summary>
    ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAboveAsync(long first, long last, int offset, byte[] above, CancellationToken cancellationToken = default);

    /// <summary>
    /// The id and the SHA-256 of the bytes of every record with ids from <paramref name="first"/> to
    /// <paramref name="last"/>, in id order, computed by the store: what a catch-up compares with the buckets it holds
    /// without reading them.
    /// </summary>
    ValueTask<IReadOnlyList<(long Id, byte[] Digest)>> ReadRangeDigestsAsync(long first, long last, CancellationToken cancellationToken = default);

    /// <summary>
    /// The links of the commits after generation <paramref name="after"/> up to <paramref name="upTo"/>, in order (the
    /// store keeps the latest ones only: older ones are missing from the result).
    /// </summary>
    ValueTask<IReadOnlyList<CommitLink>> ReadChainAsync(long after, long upTo, CancellationToken cancellationToken = default);
}

/// <summary>
/// One commit's place in the vault's history, as its writer logged it: the root before it and its own, MAC'd with a key
/// the vault's root derives, so that an instance catching up can check that the head it is given descends from the
/// state it knows, not from another history that grew longer.
/// </summary>
/// <param name="Generation">The commit's generation.</param>
/// <param name="Previous">The manifest root before the commit.</param>
/// <param name="Root">The manifest root the commit made.</param>
/// <param name="Mac">The MAC of the three (see <see cref="Integrity.MetadataKeys.ChainMac"/>).</param>
internal sealed record CommitLink(long Generation, byte[] Previous, byte[] Root, byte[] Mac);

/// <summary>A vault's head in a shared store: the generation of its last commit and that commit's manifest root.</summary>
/// <param name="Generation">0 before the first commit.</param>
/// <param name="Root">The manifest root the commit wrote (empty before the first commit).</param>
internal readonly record struct StoreHead(long Generation, ReadOnlyMemory<byte> Root)
{
    /// <summary>Whether this head is the state at <paramref name="generation"/> with the manifest root <paramref name="root"/>.</summary>
    public bool Is(long generation, Integrity.RecordHash root) =>
        Generation == generation && (generation == 0 || (Root.Length == Integrity.RecordHash.Size && Integrity.RecordHash.Read(Root.Span).Equals(root)));
}

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
