using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// A record store in memory that outlives the vaults opened on it, so tests can edit, remove and replay records "on
/// disk" between opens, and that keeps every byte it was ever given (a spy for the "storage sees only sealed bytes" rule).
/// Records are held by key, as an attacker edits them; each key remembers the id it was written under.
/// </summary>
internal sealed class InMemoryRecordStore : IRecordStore
{
    private readonly List<byte[]> _received = [];
    private readonly Dictionary<long, string> _keys = [];
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);

    /// <summary>The stored records by key, as a store would hold them.</summary>
    public SortedDictionary<string, byte[]> Records { get; } = new(StringComparer.Ordinal);

    public int Commits { get; private set; }

    /// <summary>Every byte array this store was handed in a commit (keys as UTF-8).</summary>
    public IReadOnlyList<byte[]> Received => _received;

    public string Location => "memory";

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) => ValueTask.FromResult(Find(id));

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyDictionary<long, StoredRecord>>(ids.Select(Find).OfType<StoredRecord>().ToDictionary(r => r.Id));

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<StoredRecord>>(_keys.Keys.Where(id => id >= first && id <= last).Order().Select(Find).OfType<StoredRecord>().ToList());

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Records.Count == 0);

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        foreach (var record in commit.Creates)
        {
            if (Find(record.Id) is not null)
            {
                throw new StoreConflictException($"{record.Id} exists");
            }
        }

        Commits++;
        foreach (var id in commit.Deletes)
        {
            // The key keeps its id, so a test that puts a removed record back puts it where the vault would look.
            if (_keys.TryGetValue(id, out var key))
            {
                Records.Remove(key);
            }
        }

        foreach (var record in commit.Writes)
        {
            if (_ids.TryGetValue(record.Key, out var previous) && previous != record.Id)
            {
                _keys.Remove(previous);
            }

            _ids[record.Key] = record.Id;
            _keys[record.Id] = record.Key;
            Records[record.Key] = record.Value.ToArray();
            _received.Add(System.Text.Encoding.UTF8.GetBytes(record.Key));
            _received.Add(record.Value.ToArray());
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A copy of every record, to put back later (a replay).</summary>
    public Dictionary<string, byte[]> Snapshot() => Records.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);

    public void Restore(IReadOnlyDictionary<string, byte[]> snapshot)
    {
        Records.Clear();
        foreach (var (key, value) in snapshot)
        {
            Records[key] = value.ToArray();
        }
    }

    public void Dispose()
    {
        // Outlives the vault: a test reopens a vault on the same store.
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private StoredRecord? Find(long id) =>
        _keys.TryGetValue(id, out var key) && Records.TryGetValue(key, out var value) ? new StoredRecord(id, key, value.ToArray()) : null;
}
