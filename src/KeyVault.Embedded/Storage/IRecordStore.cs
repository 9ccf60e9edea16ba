namespace KeyVault.Embedded.Storage;

/// <summary>
/// The seam between the vault and its storage: an asynchronous, transactional store of opaque records, each kept under
/// a numeric id (<see cref="Records.RecordIds"/>) and labelled with its key. A store only ever receives sealed
/// payloads, non-secret metadata and the manifest; it never decides anything (which version is current, what is
/// deleted): the vault does, from authenticated records. Nothing a store returns is trusted before the vault has checked
/// it against its manifest, which lists every record's id, key and hash.
/// </summary>
/// <remarks>
/// <para>Ids grow with every commit (a record's id is fixed when it is created), so a store indexed by id appends
/// where a store indexed by key would insert all over its index.</para>
/// <para>Reads may run concurrently with each other and with a commit. Commits come from one writer at a time per
/// vault instance; a store shared by several instances (a database) serialises them by the generation precondition
/// of <see cref="StoreCommit"/>.</para>
/// <para>A store opened on existing data leaves it exactly as it was until its first commit, so that a vault that fails
/// a check at open (a wrong root key, a tampered file) changes nothing.</para>
/// </remarks>
internal interface IRecordStore : IAsyncDisposable, IDisposable
{
    /// <summary>Where the records live, for messages (a path, a database and schema). Never a credential.</summary>
    string Location { get; }

    /// <summary>The record stored under <paramref name="id"/>, or null.</summary>
    ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The records stored under <paramref name="ids"/> that exist (a missing one is simply absent from the result).</summary>
    ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    /// <summary>Every record whose id is between <paramref name="first"/> and <paramref name="last"/> (both included), in id order.</summary>
    ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default);

    /// <summary>True when the store holds no record at all: only then may a vault be created in it.</summary>
    ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a commit atomically: all of it or nothing. When this returns, the commit is durable (on the physical
    /// disk, or acknowledged by the database's synchronous commit).
    /// </summary>
    /// <exception cref="StoreConflictException">
    /// The store's generation is not <see cref="StoreCommit.ExpectedGeneration"/> (another instance committed first), or
    /// a record to create exists already. Nothing was written.
    /// </exception>
    ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default);
}
