using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// A record store in memory that outlives the vaults opened on it, so tests can edit, remove and replay records "on
/// disk" between opens, and that keeps every byte it was ever given (a spy for the "storage sees only sealed bytes" rule).
/// </summary>
internal sealed class InMemoryRecordStore : IRecordStore
{
    private readonly List<byte[]> _received = [];

    /// <summary>The stored records by key, as a store would hold them.</summary>
    public SortedDictionary<string, byte[]> Records { get; } = new(StringComparer.Ordinal);

    public int Commits { get; private set; }

    /// <summary>Every byte array this store was handed in a commit (keys as UTF-8).</summary>
    public IReadOnlyList<byte[]> Received => _received;

    public string Location => "memory";

    public ValueTask<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Records.TryGetValue(key, out var value) ? value.ToArray() : null);

    public ValueTask<IReadOnlyDictionary<string, byte[]>> ReadManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, byte[]>>(keys.Where(Records.ContainsKey).ToDictionary(k => k, k => Records[k].ToArray(), StringComparer.Ordinal));

    public ValueTask<IReadOnlyList<StoredRecord>> ReadPrefixAsync(string prefix, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<StoredRecord>>(Records.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => new StoredRecord(p.Key, p.Value.ToArray())).ToList());

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Records.Count == 0);

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        foreach (var record in commit.Inserts)
        {
            if (Records.ContainsKey(record.Key))
            {
                throw new StoreConflictException($"'{record.Key}' exists");
            }
        }

        Commits++;
        foreach (var key in commit.Deletes)
        {
            Records.Remove(key);
        }

        foreach (var record in commit.Inserts.Concat(commit.Puts))
        {
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
}
