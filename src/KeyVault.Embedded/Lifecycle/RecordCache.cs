using System.Collections.Concurrent;
using KeyVault.Embedded.Integrity;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// In-memory cache of decoded, verified records (object records, sealed versions, settings), so a read of an open vault
/// costs microseconds (a lookup and an unseal) instead of a storage read. Values stay sealed here; nothing plaintext
/// is cached. Each entry keeps the hash it was verified against, and a lookup names the hash the manifest lists now,
/// so an entry can never outlive the record it mirrors.
/// </summary>
/// <remarks>Bounded: when it reaches its capacity it is emptied and refills from storage on demand.</remarks>
internal sealed class RecordCache
{
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public RecordCache(int capacity)
    {
        _capacity = capacity;
    }

    public bool TryGet<T>(string key, RecordHash hash, out T value)
        where T : class
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Hash.Equals(hash) && entry.Value is T typed)
        {
            value = typed;
            return true;
        }

        value = null!;
        return false;
    }

    public void Set(string key, RecordHash hash, object value)
    {
        if (_entries.Count >= _capacity && !_entries.ContainsKey(key))
        {
            _entries.Clear();
        }

        _entries[key] = new Entry(hash, value);
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    public void Clear() => _entries.Clear();

    private sealed record Entry(RecordHash Hash, object Value);
}
