namespace KeyVault.Embedded.Storage;

/// <summary>
/// Records held in memory: a backup file being verified is opened on one, so that the same checks as an open (the
/// header, the key-encryption keys, every manifest bucket, every record) run over it without writing anything to disk.
/// </summary>
internal sealed class MemoryRecordStore : IRecordStore
{
    private readonly SortedDictionary<long, StoredRecord> _records = [];
    private readonly Lock _sync = new();

    // The generation of the last commit, once there was one.
    private long? _generation;

    public MemoryRecordStore(string location, IEnumerable<StoredRecord> records)
    {
        Location = location;
        foreach (var record in records)
        {
            _records[record.Id] = record;
        }
    }

    public string Location { get; }

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(_records.GetValueOrDefault(id));
        }
    }

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            var found = new Dictionary<long, StoredRecord>(ids.Count);
            foreach (var id in ids)
            {
                if (_records.TryGetValue(id, out var record))
                {
                    found[id] = record;
                }
            }

            return ValueTask.FromResult<IReadOnlyDictionary<long, StoredRecord>>(found);
        }
    }

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult<IReadOnlyList<StoredRecord>>([.. _records.Values.Where(r => r.Id >= first && r.Id <= last)]);
        }
    }

    /// <summary>Every record, in id order (what a restore writes, after any commit made on the copy).</summary>
    public IReadOnlyList<StoredRecord> Records()
    {
        lock (_sync)
        {
            return [.. _records.Values];
        }
    }

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(_records.Count == 0);
        }
    }

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            // As the file's store: once this store has committed, a commit must build on its last generation.
            if (_generation is { } generation && commit.ExpectedGeneration != generation)
            {
                throw new StoreConflictException($"The commit expects generation {commit.ExpectedGeneration}; the store is at {generation}.");
            }

            if (commit.Creates.Any(r => _records.ContainsKey(r.Id)))
            {
                throw new StoreConflictException("A record to create exists already.");
            }

            _generation = commit.Generation;

            foreach (var id in commit.Deletes)
            {
                _records.Remove(id);
            }

            foreach (var record in commit.Writes)
            {
                _records[record.Id] = record;
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
