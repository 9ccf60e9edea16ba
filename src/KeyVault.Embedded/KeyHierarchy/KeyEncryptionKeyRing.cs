using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>
/// The vault's key-encryption keys, unwrapped, in pinned memory. Records are sealed under the current version
/// and name the version they were sealed under, so adding a version needs no downtime and old records stay
/// readable. Reads are lock-free (an immutable snapshot swapped on change); changes come from the vault's
/// write path, one at a time.
/// </summary>
internal sealed class KeyEncryptionKeyRing : IDisposable
{
    private volatile Snapshot _snapshot = new([], 0);

    /// <summary>The version that seals new records.</summary>
    public int CurrentVersion => _snapshot.Current;

    /// <summary>The versions held, oldest first.</summary>
    public IEnumerable<int> Versions => _snapshot.Keys.Select((_, i) => i + 1);

    /// <summary>The key of <paramref name="version"/>, or an empty span when the ring has no such version.</summary>
    public ReadOnlySpan<byte> Get(int version)
    {
        var keys = _snapshot.Keys;
        return version >= 1 && version <= keys.Length ? keys[version - 1] : default;
    }

    /// <summary>Adds the next version (versions are 1, 2, 3...); takes ownership of the pinned key.</summary>
    public void Add(int version, byte[] key)
    {
        var current = _snapshot;
        if (version != current.Keys.Length + 1)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"Key-encryption key versions are consecutive: expected {current.Keys.Length + 1}, got {version}.");
        }

        _snapshot = new Snapshot([.. current.Keys, key], current.Current);
    }

    public void SetCurrent(int version)
    {
        var current = _snapshot;
        if (version < 1 || version > current.Keys.Length)
        {
            throw new InvalidOperationException($"The ring has no key-encryption key version {version}.");
        }

        _snapshot = current with { Current = version };
    }

    public void Dispose()
    {
        var keys = _snapshot.Keys;
        _snapshot = new Snapshot([], 0);
        foreach (var key in keys)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private sealed record Snapshot(byte[][] Keys, int Current);
}
