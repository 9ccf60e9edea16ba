namespace KeyVault.Embedded.Integrity;

/// <summary>One manifest entry as its bucket stores it: the record's key, kind, hash, sequence and id.</summary>
internal readonly record struct BucketEntry(string Key, byte Kind, RecordHash Hash, long Sequence, long Id);

/// <summary>
/// The entries of one manifest bucket, sorted by key (ordinal), as they are serialized. A bucket loaded from storage
/// stays in its stored (already checked) form until a commit changes it: only the writer ever needs the entries of a
/// bucket, one or two buckets a commit, and keeping thousands of them parsed would only feed the garbage collector.
/// Changed, it is a sorted list with binary search (about 24 entries).
/// </summary>
internal sealed class BucketMembers
{
    private readonly ReadOnlyMemory<byte> _stored;
    private readonly int _index;
    private readonly int _storedCount;
    private List<BucketEntry>? _entries;

    public BucketMembers()
    {
        _entries = [];
    }

    private BucketMembers(ReadOnlyMemory<byte> stored, int index, int count)
    {
        _stored = stored;
        _index = index;
        _storedCount = count;
    }

    private BucketMembers(List<BucketEntry> entries)
    {
        _entries = entries;
    }

    public int Count => _entries?.Count ?? _storedCount;

    public IReadOnlyList<BucketEntry> Entries => _entries ?? ManifestBucket.ReadEntries(_stored.Span, _index);

    /// <summary>A bucket in its stored form, already checked (MAC, form, key order) by whoever read it.</summary>
    public static BucketMembers Stored(ReadOnlyMemory<byte> entries, int index, int count) => new(entries, index, count);

    /// <summary>A mutable copy (a commit's), sorted as stored.</summary>
    public BucketMembers Copy() => new(_entries is null ? ManifestBucket.ReadEntries(_stored.Span, _index) : new List<BucketEntry>(_entries));

    public bool Contains(string key) => IndexOf(Mutable(), key) >= 0;

    /// <summary>Adds an entry, or replaces the one with its key.</summary>
    public void Set(BucketEntry entry)
    {
        var entries = Mutable();
        var at = IndexOf(entries, entry.Key);
        if (at >= 0)
        {
            entries[at] = entry;
        }
        else
        {
            entries.Insert(~at, entry);
        }
    }

    public bool Remove(string key)
    {
        var entries = Mutable();
        var at = IndexOf(entries, key);
        if (at < 0)
        {
            return false;
        }

        entries.RemoveAt(at);
        return true;
    }

    /// <summary>Moves the entries <paramref name="moves"/> selects into a new bucket (linear hashing's split).</summary>
    public BucketMembers Split(Func<BucketEntry, bool> moves)
    {
        var moved = new List<BucketEntry>();
        Mutable().RemoveAll(entry =>
        {
            if (moves(entry))
            {
                moved.Add(entry);
                return true;
            }

            return false;
        });
        return new BucketMembers(moved);
    }

    /// <summary>The entries in their stored form (see <see cref="ManifestBucket"/>).</summary>
    public byte[] Serialize()
    {
        if (_entries is null)
        {
            return _stored.ToArray();
        }

        var length = 0;
        foreach (var entry in _entries)
        {
            length += ManifestBucket.EntryLength(entry.Key);
        }

        var bytes = new byte[length];
        var at = 0;
        foreach (var entry in _entries)
        {
            at += ManifestBucket.WriteEntry(bytes.AsSpan(at), entry);
        }

        return bytes;
    }

    private List<BucketEntry> Mutable() =>
        _entries ?? throw new InvalidOperationException("A stored bucket is changed through a copy.");

    private static int IndexOf(List<BucketEntry> entries, string key)
    {
        int low = 0, high = entries.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(entries[middle].Key, key);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
