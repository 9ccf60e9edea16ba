namespace KeyVault.Embedded.Storage;

/// <summary>
/// Everything one vault commit changes, applied by <see cref="IRecordStore.CommitAsync"/> as one transaction.
/// </summary>
/// <param name="ExpectedGeneration">The generation the writer's view of the vault is based on; the commit applies only if the store is still at it.</param>
/// <param name="Generation">The generation this commit makes (<paramref name="ExpectedGeneration"/> + 1).</param>
internal sealed class StoreCommit(long ExpectedGeneration, long Generation)
{
    public long ExpectedGeneration { get; } = ExpectedGeneration;

    public long Generation { get; } = Generation;

    /// <summary>Records to create or replace.</summary>
    public List<StoredRecord> Puts { get; } = [];

    /// <summary>Records to create that must not exist yet (key-encryption keys): the commit fails rather than replace one.</summary>
    public List<StoredRecord> Inserts { get; } = [];

    /// <summary>Keys to remove (a missing key is not an error).</summary>
    public List<string> Deletes { get; } = [];

    /// <summary>
    /// When set, the bytes of removed and replaced records must be gone from the store's files, not only unlinked, when
    /// the commit returns (purge, root rotation, key-encryption key retirement). A store that cannot promise this
    /// (a database's dead tuples until vacuum) documents it.
    /// </summary>
    public bool Erase { get; set; }
}
