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

    /// <summary>Records with new ids: the commit fails (<see cref="StoreConflictException"/>) rather than replace one that exists.</summary>
    public List<StoredRecord> Creates { get; } = [];

    /// <summary>New bytes for records that exist (one found missing is created).</summary>
    public List<StoredRecord> Replaces { get; } = [];

    /// <summary>
    /// The ids among <see cref="Replaces"/> whose new bytes differ in length from the stored ones. A hint: a store that
    /// rewrites records in place writes these afresh instead of growing them into fragments.
    /// </summary>
    public HashSet<long> Resized { get; } = [];

    /// <summary>Ids to remove (a missing one is not an error).</summary>
    public List<long> Deletes { get; } = [];

    /// <summary>
    /// When set, the bytes of removed and replaced records must be gone from the store's files, not only unlinked, when
    /// the commit returns (purge, root rotation, key-encryption key retirement). A store that cannot promise this
    /// (a database's dead tuples until vacuum) documents it.
    /// </summary>
    public bool Erase { get; set; }

    /// <summary>
    /// The manifest root this commit makes (<see cref="Integrity.RecordHash"/> bytes). A shared store keeps it with the
    /// generation, so that an instance at the same generation can tell the same history from another one.
    /// </summary>
    public byte[] Root { get; init; } = [];

    /// <summary>The manifest root before this commit (empty for a vault's first).</summary>
    public byte[] Previous { get; init; } = [];

    /// <summary>The MAC of this commit's link in the vault's history (generation, previous root, root), for a shared store's log.</summary>
    public byte[] ChainMac { get; init; } = [];

    /// <summary>Every record the commit writes.</summary>
    public IEnumerable<StoredRecord> Writes => Creates.Concat(Replaces);
}
