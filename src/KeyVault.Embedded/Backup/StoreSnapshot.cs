using System.Diagnostics;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// A consistent view of every stored record at one generation, while the vault keeps committing: copy on write. It is
/// taken under the write lock (the manifest's listing of that generation); from then on, each commit first keeps the
/// bytes of any snapshot record it is about to replace or remove that the backup has not copied yet
/// (<see cref="PreserveAsync"/>), so the backup reads every record as it was at the snapshot. Readers are never
/// involved; a writer waits at most for one batch of the backup's reads.
/// </summary>
internal sealed class StoreSnapshot
{
    private readonly IRecordStore _store;
    private readonly Dictionary<long, (string Key, RecordHash? Hash)> _uncopied;
    private readonly Dictionary<long, StoredRecord> _preserved = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Exception? _failure;
    private long _longestWait;

    private readonly RecordHash[] _bucketHashes;
    private readonly MetadataKeys _keys;

    /// <param name="store">Where the records are read.</param>
    /// <param name="generation">The generation the listing is of.</param>
    /// <param name="listing">Every record of that generation (<see cref="Manifest.Listing"/>).</param>
    /// <param name="bucketHashes">The manifest buckets' hashes at that generation: each bucket copied must hold exactly its entries.</param>
    /// <param name="keys">The keys the buckets' MACs are checked with.</param>
    public StoreSnapshot(IRecordStore store, long generation, List<(string Key, RecordHash? Hash, long Id)> listing, RecordHash[] bucketHashes, MetadataKeys keys)
    {
        _store = store;
        Generation = generation;
        Listing = listing;
        _bucketHashes = bucketHashes;
        _keys = keys;
        _uncopied = listing.ToDictionary(e => e.Id, e => (e.Key, e.Hash));
    }

    /// <summary>The generation the snapshot shows.</summary>
    public long Generation { get; }

    /// <summary>Every record of the snapshot, in id order.</summary>
    public IReadOnlyList<(string Key, RecordHash? Hash, long Id)> Listing { get; }

    /// <summary>The longest a commit waited for the snapshot (its batch reads and its own copies).</summary>
    public TimeSpan LongestWriterWait => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestWait));

    /// <summary>
    /// Called by the writer, under the write lock, before <paramref name="commit"/> reaches the store: keeps the current
    /// bytes of each snapshot record it replaces or removes. Never throws: a failure fails the backup, not the write.
    /// </summary>
    public async ValueTask PreserveAsync(StoreCommit commit)
    {
        var start = Stopwatch.GetTimestamp();
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var ids = new List<long>();
            foreach (var id in commit.Replaces.Select(r => r.Id).Concat(commit.Deletes))
            {
                if (_uncopied.ContainsKey(id) && !_preserved.ContainsKey(id))
                {
                    ids.Add(id);
                }
            }

            if (ids.Count > 0 && _failure is null)
            {
                foreach (var (id, record) in await _store.ReadManyAsync(ids).ConfigureAwait(false))
                {
                    _preserved[id] = record;
                }
            }
        }
        catch (Exception ex)
        {
            _failure ??= ex;
        }
        finally
        {
            _gate.Release();
            var waited = Stopwatch.GetTimestamp() - start;
            long seen;
            while (waited > (seen = Interlocked.Read(ref _longestWait)) && Interlocked.CompareExchange(ref _longestWait, waited, seen) != seen)
            {
            }
        }
    }

    /// <summary>The records of <paramref name="batch"/> (ids of <see cref="Listing"/>) as they were at the snapshot, each checked against its listed hash.</summary>
    /// <exception cref="VaultIntegrityException">A record is missing or not what the manifest lists (storage damage).</exception>
    public async ValueTask<IReadOnlyList<StoredRecord>> TakeAsync(IReadOnlyList<(string Key, RecordHash? Hash, long Id)> batch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_failure is { } failure)
            {
                throw VaultErrors.StorageFailure("keeping a record for the backup failed; the backup is incomplete", failure);
            }

            // One range read (a walk of the id index) instead of a lookup per id. Records made after the snapshot have
            // higher ids than all of its records (ids grow with the generation), so the range holds the batch and, at
            // most, manifest buckets or key-encryption keys made since, which are not taken.
            var read = new Dictionary<long, StoredRecord>(batch.Count);
            foreach (var record in await _store.ReadRangeAsync(batch[0].Id, batch[^1].Id, cancellationToken).ConfigureAwait(false))
            {
                read[record.Id] = record;
            }

            var records = new List<StoredRecord>(batch.Count);
            foreach (var (key, hash, id) in batch)
            {
                var record = _preserved.Remove(id, out var kept) ? kept : read.GetValueOrDefault(id);
                if (record is null || !string.Equals(record.Key, key, StringComparison.Ordinal) || !Matches(record, hash))
                {
                    throw new VaultIntegrityException($"The vault's record '{key}' is missing or does not match its manifest: the file was altered or damaged, and no backup was written.");
                }

                _uncopied.Remove(id);
                records.Add(record);
            }

            return records;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A record against what the manifest lists for it: its hash; for a manifest bucket (listed without one), its
    /// entries against the bucket's hash at the snapshot, and its MAC. A bucket row older or other than the manifest's
    /// (which a shared store's catch-up, reading only the buckets written since, does not read) fails here.
    /// </summary>
    private bool Matches(StoredRecord record, RecordHash? hash) =>
        hash is { } expected
            ? RecordHash.Of(record.Key, record.Value).Equals(expected)
            : record.Id is < Records.RecordIds.FirstBucket or > Records.RecordIds.LastBucket
              || (Records.RecordIds.BucketIndex(record.Id) is var index && index < _bucketHashes.Length && ManifestBucket.Holds(record, _bucketHashes[index], _keys));
}

/// <summary>The snapshots in progress, which every commit serves (usually none: then a commit pays nothing).</summary>
internal sealed class StoreSnapshots
{
    private volatile StoreSnapshot[] _active = [];
    private readonly Lock _sync = new();

    public StoreSnapshot[] Active => _active;

    public void Add(StoreSnapshot snapshot)
    {
        lock (_sync)
        {
            _active = [.. _active, snapshot];
        }
    }

    public void Remove(StoreSnapshot snapshot)
    {
        lock (_sync)
        {
            _active = [.. _active.Where(s => !ReferenceEquals(s, snapshot))];
        }
    }
}
