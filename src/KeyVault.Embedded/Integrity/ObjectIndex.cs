using KeyVault.Embedded.Records;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// What the manifest knows of one object: the hash of its object record and of each version record, and each version's
/// sequence number, so that which version is current is decided by authenticated data, never by what storage returns.
/// Immutable: a change replaces the instance, so a reader always sees one consistent state of the object.
/// </summary>
internal sealed class ObjectIndex
{
    public ObjectIndex(ObjectType type, string name, RecordHash hash, VersionEntry[] versions, int bucket)
    {
        Type = type;
        Name = name;
        Key = RecordKeys.Object(type, name);
        Hash = hash;
        Versions = versions;
        Bucket = bucket;
    }

    public ObjectType Type { get; }

    /// <summary>The canonical (lowercase) name.</summary>
    public string Name { get; }

    /// <summary>The object record's storage key.</summary>
    public string Key { get; }

    /// <summary>The object record's hash.</summary>
    public RecordHash Hash { get; }

    /// <summary>Every version, oldest (lowest sequence) first; never empty in a consistent manifest.</summary>
    public VersionEntry[] Versions { get; }

    public int Bucket { get; }

    /// <summary>The version with the highest sequence: what a get without a version reads.</summary>
    public VersionEntry Current => Versions[^1];

    public bool TryGetVersion(string version, out VersionEntry entry)
    {
        foreach (var candidate in Versions)
        {
            if (string.Equals(candidate.Version, version, StringComparison.Ordinal))
            {
                entry = candidate;
                return true;
            }
        }

        entry = default;
        return false;
    }

    public ObjectIndex WithObject(RecordHash hash) => new(Type, Name, hash, Versions, Bucket);

    /// <summary>The index with a version added or its hash replaced, kept in sequence order.</summary>
    public ObjectIndex WithVersion(VersionEntry version)
    {
        var list = new List<VersionEntry>(Versions.Length + 1);
        foreach (var existing in Versions)
        {
            if (!string.Equals(existing.Version, version.Version, StringComparison.Ordinal))
            {
                list.Add(existing);
            }
        }

        list.Add(version);
        list.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        return new ObjectIndex(Type, Name, Hash, [.. list], Bucket);
    }

    public ObjectIndex WithoutVersion(string version) =>
        new(Type, Name, Hash, Versions.Where(v => !string.Equals(v.Version, version, StringComparison.Ordinal)).ToArray(), Bucket);
}

/// <summary>One version as the manifest holds it.</summary>
/// <param name="Version">The version id.</param>
/// <param name="Key">Its storage key.</param>
/// <param name="Hash">The version record's hash.</param>
/// <param name="Sequence">Its place in the object's history (1, 2, 3...).</param>
internal readonly record struct VersionEntry(string Version, string Key, RecordHash Hash, long Sequence);
