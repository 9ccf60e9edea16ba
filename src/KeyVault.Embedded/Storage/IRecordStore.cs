namespace KeyVault.Embedded.Storage;

/// <summary>
/// The seam between the vault and its storage: an asynchronous, transactional key-value store of opaque records.
/// A store only ever receives sealed payloads, non-secret metadata and the manifest; it never decides anything (which
/// version is current, what is deleted): the vault does, from authenticated records. Nothing a store returns is
/// trusted before the vault has checked it against its manifest.
/// </summary>
/// <remarks>
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

    /// <summary>The record stored at <paramref name="key"/>, or null.</summary>
    ValueTask<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The records stored at <paramref name="keys"/> that exist (a missing key is simply absent from the result).</summary>
    ValueTask<IReadOnlyDictionary<string, byte[]>> ReadManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Every record whose key starts with <paramref name="prefix"/>, in key order.</summary>
    ValueTask<IReadOnlyList<StoredRecord>> ReadPrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>True when the store holds no record at all: only then may a vault be created in it.</summary>
    ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a commit atomically: all of it or nothing. When this returns, the commit is durable (on the physical
    /// disk, or acknowledged by the database's synchronous commit).
    /// </summary>
    /// <exception cref="StoreConflictException">
    /// The store's generation is not <see cref="StoreCommit.ExpectedGeneration"/> (another instance committed first), or
    /// an insert-only record exists already. Nothing was written.
    /// </exception>
    ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default);
}
