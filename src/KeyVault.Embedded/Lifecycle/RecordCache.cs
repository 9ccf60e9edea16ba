using System.Collections.Concurrent;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// In-memory cache of object records and sealed version records, so a read of an open vault costs microseconds
/// (a dictionary lookup and an unseal) instead of a LiteDB lookup. Values stay sealed here; nothing plaintext is
/// cached. Lookups are lock-free; every change happens under the vault's write lock, in the same critical section
/// as the storage change it mirrors, so the cache never runs ahead of or behind the file.
/// </summary>
/// <remarks>Bounded: when a map reaches its capacity it is emptied and refills from storage on demand.</remarks>
internal sealed class RecordCache
{
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, ObjectRecord>[] _objects;
    private readonly ConcurrentDictionary<string, StoredVersion> _versions = new(StringComparer.Ordinal);

    public RecordCache(int capacity)
    {
        _capacity = capacity;
        _objects = new ConcurrentDictionary<string, ObjectRecord>[Enum.GetValues<ObjectType>().Max(t => (int)t) + 1];
        for (var i = 0; i < _objects.Length; i++)
        {
            // Keyed by name as callers give it: names compare case-insensitively, as in Azure.
            _objects[i] = new ConcurrentDictionary<string, ObjectRecord>(StringComparer.OrdinalIgnoreCase);
        }
    }

    public bool TryGetObject(ObjectType type, string name, out ObjectRecord record) =>
        _objects[(int)type].TryGetValue(name, out record!);

    public bool TryGetVersion(string versionKey, out StoredVersion version) =>
        _versions.TryGetValue(versionKey, out version!);

    public void SetObject(ObjectRecord record)
    {
        var map = _objects[(int)record.Type];
        if (!map.ContainsKey(record.Name) && map.Count >= _capacity)
        {
            map.Clear();
        }

        map[record.Name] = record;
    }

    public void SetVersion(StoredVersion version)
    {
        if (!_versions.ContainsKey(version.Record.Key) && _versions.Count >= _capacity)
        {
            _versions.Clear();
        }

        _versions[version.Record.Key] = version;
    }

    public void RemoveObject(ObjectRecord record)
    {
        _objects[(int)record.Type].TryRemove(record.Name, out _);
        var prefix = record.Key + "/";
        foreach (var key in _versions.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                _versions.TryRemove(key, out _);
            }
        }
    }

    public void Clear()
    {
        foreach (var map in _objects)
        {
            map.Clear();
        }

        _versions.Clear();
    }
}
