using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>
/// The vault's live key-encryption keys, unwrapped, in pinned memory. Records are sealed under the current version and
/// name the version they were sealed under, so adding a version needs no downtime and old records stay readable until
/// they are re-sealed and the old version is retired (<see cref="Retire"/>). Reads are lock-free (an immutable
/// snapshot swapped on change); changes come from the vault's write path, one at a time.
/// </summary>
internal sealed class KeyEncryptionKeyRing : IDisposable
{
    private volatile Snapshot _snapshot = new(new SortedDictionary<int, byte[]>(), 0);
    private long _retirements;

    /// <summary>The version that seals new records.</summary>
    public int CurrentVersion => _snapshot.Current;

    /// <summary>The live versions, oldest first.</summary>
    public IReadOnlyList<int> Versions => [.. _snapshot.Keys.Keys];

    /// <summary>The highest version the ring has held: a new version is one more.</summary>
    public int LatestVersion => _snapshot.Keys.Count == 0 ? 0 : _snapshot.Keys.Keys.Max();

    /// <summary>Counts retirements: an unseal that failed while this moved may have raced one, and is worth a second look.</summary>
    public long Retirements => Interlocked.Read(ref _retirements);

    /// <summary>The key of <paramref name="version"/>, or an empty span when the ring does not hold it (unknown or retired).</summary>
    public ReadOnlySpan<byte> Get(int version) => _snapshot.Keys.TryGetValue(version, out var key) ? key : default;

    /// <summary>Adds a version; takes ownership of the pinned key.</summary>
    public void Add(int version, byte[] key)
    {
        var current = _snapshot;
        if (version < 1 || current.Keys.ContainsKey(version))
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"The key-encryption key ring cannot add version {version}.");
        }

        _snapshot = current with { Keys = new SortedDictionary<int, byte[]>(current.Keys) { [version] = key } };
    }

    public void SetCurrent(int version)
    {
        var current = _snapshot;
        if (!current.Keys.ContainsKey(version))
        {
            throw new InvalidOperationException($"The ring has no key-encryption key version {version}.");
        }

        _snapshot = current with { Current = version };
    }

    /// <summary>Drops a version and zeroes its key. The current version cannot be retired.</summary>
    public void Retire(int version)
    {
        var current = _snapshot;
        if (version == current.Current || !current.Keys.TryGetValue(version, out var key))
        {
            throw new InvalidOperationException($"Key-encryption key version {version} cannot be retired.");
        }

        var keys = new SortedDictionary<int, byte[]>(current.Keys);
        keys.Remove(version);
        _snapshot = current with { Keys = keys };
        Interlocked.Increment(ref _retirements);
        CryptographicOperations.ZeroMemory(key);
    }

    public void Dispose()
    {
        var keys = _snapshot.Keys;
        _snapshot = new Snapshot(new SortedDictionary<int, byte[]>(), 0);
        foreach (var key in keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private sealed record Snapshot(SortedDictionary<int, byte[]> Keys, int Current);
}
