using System.Collections.Immutable;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// What the manifest knows of one object: the id and hash of its object record and of each version record, and each
/// version's sequence number. Which version is current is decided by this authenticated data, never by what storage
/// returns. Immutable: a change replaces the instance, so a reader always sees one consistent state of the object.
/// </summary>
/// <remarks>
/// Few versions are kept in an array in sequence order. An object with many (Azure sets no limit) keeps them in a
/// persistent map, so that adding one costs O(log n), not a copy of every version; its ordered list is made when asked.
/// </remarks>
internal sealed class ObjectIndex
{
    private const int SmallLimit = 32;
    private readonly ImmutableDictionary<string, VersionEntry>? _map;
    private VersionEntry[]? _ordered;

    private ObjectIndex(ObjectType type, string name, RecordHash hash, long id, VersionEntry[]? ordered, ImmutableDictionary<string, VersionEntry>? map, VersionEntry? current, string? key = null)
    {
        Type = type;
        Name = name;
        Key = key ?? RecordKeys.Object(type, name);
        Hash = hash;
        Id = id;
        _ordered = ordered;
        _map = map;
        CurrentOrNull = current;
    }

    public ObjectType Type { get; }

    /// <summary>The canonical (lowercase) name.</summary>
    public string Name { get; }

    /// <summary>The object record's key.</summary>
    public string Key { get; }

    /// <summary>The object record's hash.</summary>
    public RecordHash Hash { get; }

    /// <summary>The object record's id in the store.</summary>
    public long Id { get; }

    public int VersionCount => _map?.Count ?? _ordered!.Length;

    /// <summary>Every version, oldest (lowest sequence) first; never empty in a consistent manifest.</summary>
    public VersionEntry[] Versions => _ordered ??= [.. _map!.Values.OrderBy(v => v.Sequence)];

    /// <summary>The version with the highest sequence: what a get without a version reads.</summary>
    public VersionEntry Current => CurrentOrNull ?? throw new InvalidOperationException($"Object '{Key}' has no version.");

    private VersionEntry? CurrentOrNull { get; }

    /// <summary>An object's index with the given versions (in any order).</summary>
    public static ObjectIndex Create(ObjectType type, string name, RecordHash hash, long id, IReadOnlyCollection<VersionEntry> versions)
    {
        if (versions.Count < SmallLimit)
        {
            VersionEntry[] ordered = [.. versions.OrderBy(v => v.Sequence)];
            return new ObjectIndex(type, name, hash, id, ordered, null, ordered.Length > 0 ? ordered[^1] : null);
        }

        var map = versions.ToImmutableDictionary(v => v.Version, StringComparer.Ordinal);
        return new ObjectIndex(type, name, hash, id, null, map, versions.MaxBy(v => v.Sequence));
    }

    /// <summary>An object's index from versions already in sequence order (a manifest being loaded).</summary>
    public static ObjectIndex FromOrdered(ObjectType type, string key, string name, RecordHash hash, long id, VersionEntry[] ordered) =>
        ordered.Length < SmallLimit
            ? new ObjectIndex(type, name, hash, id, ordered, null, ordered.Length > 0 ? ordered[^1] : null, key)
            : new ObjectIndex(type, name, hash, id, ordered, ordered.ToImmutableDictionary(v => v.Version, StringComparer.Ordinal), ordered[^1], key);

    public bool TryGetVersion(string version, out VersionEntry entry)
    {
        if (_map is not null)
        {
            return _map.TryGetValue(version, out entry);
        }

        foreach (var candidate in _ordered!)
        {
            if (candidate.VersionSpan.SequenceEqual(version))
            {
                entry = candidate;
                return true;
            }
        }

        entry = default;
        return false;
    }

    public ObjectIndex WithObject(RecordHash hash, long id) => new(Type, Name, hash, id, _ordered, _map, CurrentOrNull, Key);

    /// <summary>The index with a version added or replaced.</summary>
    public ObjectIndex WithVersion(VersionEntry version)
    {
        var replaced = TryGetVersion(version.Version, out var previous);
        var current = CurrentOrNull is not { } now || version.Sequence >= now.Sequence ? version
            : replaced && previous.Sequence == now.Sequence ? (VersionEntry?)null
            : now;
        if (_map is not null || VersionCount + 1 >= SmallLimit)
        {
            var map = (_map ?? _ordered!.ToImmutableDictionary(v => v.Version, StringComparer.Ordinal)).SetItem(version.Version, version);
            return new ObjectIndex(Type, Name, Hash, Id, null, map, current ?? map.Values.MaxBy(v => v.Sequence), Key);
        }

        VersionEntry[] ordered;
        if (!replaced && current is { } newest && newest.Key == version.Key)
        {
            ordered = [.. _ordered!, version]; // the common case: a new newest version
        }
        else
        {
            ordered = [.. _ordered!.Where(v => !v.VersionSpan.SequenceEqual(version.VersionSpan)).Append(version).OrderBy(v => v.Sequence)];
        }

        return new ObjectIndex(Type, Name, Hash, Id, ordered, null, ordered[^1], Key);
    }

    public ObjectIndex WithoutVersion(string version)
    {
        if (_map is not null)
        {
            var map = _map.Remove(version);
            var current = CurrentOrNull is { } now && !now.VersionSpan.SequenceEqual(version) ? now : map.IsEmpty ? (VersionEntry?)null : map.Values.MaxBy(v => v.Sequence);
            return new ObjectIndex(Type, Name, Hash, Id, null, map, current, Key);
        }

        VersionEntry[] ordered = [.. _ordered!.Where(v => !v.VersionSpan.SequenceEqual(version))];
        return new ObjectIndex(Type, Name, Hash, Id, ordered, null, ordered.Length > 0 ? ordered[^1] : null, Key);
    }
}

/// <summary>One version as the manifest holds it.</summary>
/// <param name="Key">Its record's key, <c>type/name/version</c>.</param>
/// <param name="Hash">The version record's hash.</param>
/// <param name="Sequence">Its place in the object's history (1, 2, 3...).</param>
/// <param name="Id">Its record's id in the store.</param>
internal readonly record struct VersionEntry(string Key, RecordHash Hash, long Sequence, long Id)
{
    /// <summary>The version id (the key's last segment).</summary>
    public string Version => Key[(Key.LastIndexOf('/') + 1)..];

    /// <summary>The version id, without a copy.</summary>
    public ReadOnlySpan<char> VersionSpan => Key.AsSpan(Key.LastIndexOf('/') + 1);
}
