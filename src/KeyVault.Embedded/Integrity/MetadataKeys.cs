using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The keys that authenticate the vault's metadata (the manifest's commits, the rollback anchor) and place records in
/// manifest buckets. All of them derive from the root's binding key (<see cref="IRootKey.DeriveKeyAsync"/>: a value only
/// the root can compute), and the commit MAC key also from the current key-encryption key:
/// <code>
/// binding      = root.DeriveKey("KeyVault.Embedded root binding v2")
/// root check   = HMAC-SHA-256(binding, "KVE2 root check")[0..16]                  (stored in the header)
/// commit key_v = HKDF-SHA-256(ikm = KEK_v, salt = binding, info = "KVE2 commit mac" | vault id | v)
/// bucket MAC   = HMAC-SHA-256(commit key_v, "KVE2 bucket" | vault id | bucket bytes but the MAC)
/// anchor key   = HKDF-Expand(binding, "KVE2 anchor" | vault id)
/// bucket key   = HKDF-Expand(binding, "KVE2 bucket" | vault id)
/// </code>
/// So a leaked key-encryption key alone cannot forge a commit, and retiring a key-encryption key retires the commit key
/// derived from it; a leaked binding (a memory dump) is recovered from by rotating the root.
/// </summary>
internal sealed class MetadataKeys : IDisposable
{
    public const int RootCheckSize = 16;
    private const int MacSize = 32;
    private readonly byte[] _binding;
    private readonly byte[] _vaultId;
    private readonly KeyEncryptionKeyRing _ring;
    private readonly ConcurrentDictionary<int, byte[]> _commitKeys = new();
    private readonly byte[] _anchorKey = GC.AllocateUninitializedArray<byte>(32, pinned: true);
    private bool _disposed;

    /// <param name="vaultId">The vault the keys are bound to.</param>
    /// <param name="binding">The root's binding key (pinned); this object takes ownership and zeroes it.</param>
    /// <param name="ring">The key-encryption keys the commit keys derive from.</param>
    public MetadataKeys(Guid vaultId, byte[] binding, KeyEncryptionKeyRing ring)
    {
        _binding = binding;
        _vaultId = vaultId.ToByteArray();
        _ring = ring;
        HKDF.Expand(HashAlgorithmName.SHA256, _binding, _anchorKey, [.. "KVE2 anchor"u8, .. _vaultId]);
        BucketKey = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        HKDF.Expand(HashAlgorithmName.SHA256, _binding, BucketKey, [.. "KVE2 bucket"u8, .. _vaultId]);
    }

    /// <summary>The context every root is asked to derive its binding key for.</summary>
    public static ReadOnlyMemory<byte> BindingContext { get; } = "KeyVault.Embedded root binding v2"u8.ToArray();

    /// <summary>The key that places new records in manifest buckets (secret, so callers cannot aim names at one bucket).</summary>
    public byte[] BucketKey { get; }

    /// <summary>What the header stores to tell a wrong root from an altered file.</summary>
    public byte[] RootCheck()
    {
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(_binding, "KVE2 root check"u8, mac);
        return mac[..RootCheckSize].ToArray();
    }

    /// <summary>Whether the header's root check matches this root, in constant time.</summary>
    public bool MatchesRoot(byte[]? stored) => stored is { Length: RootCheckSize } && CryptographicOperations.FixedTimeEquals(RootCheck(), stored);

    /// <summary>The MAC of a manifest bucket's bytes (generation, key-encryption key version, root, entries), bound to the vault.</summary>
    /// <exception cref="VaultIntegrityException">The vault holds no such key-encryption key (a retired or forged version).</exception>
    /// <param name="kekVersion">The key-encryption key version whose commit key MACs the bucket.</param>
    /// <param name="before">The bucket's bytes before its MAC field.</param>
    /// <param name="after">The bucket's bytes after its MAC field.</param>
    /// <param name="mac">Receives the MAC.</param>
    public void BucketMac(int kekVersion, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> mac) =>
        Mac(CommitKey(kekVersion), before, after, mac);

    /// <summary>Whether the vault holds key-encryption key <paramref name="kekVersion"/> (not retired).</summary>
    public bool Holds(int kekVersion) => !_ring.Get(kekVersion).IsEmpty;

    public bool VerifyBucket(int kekVersion, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != MacSize || !Holds(kekVersion))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacSize];
        Mac(CommitKey(kekVersion), before, after, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>The key of a whole-vault backup file's MAC (bound to the vault and its root); the caller zeroes it.</summary>
    public byte[] BackupKey()
    {
        var key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        HKDF.Expand(HashAlgorithmName.SHA256, _binding, key, [.. "KVE2 backup"u8, .. _vaultId]);
        return key;
    }

    public byte[] AnchorMac(ReadOnlySpan<byte> content) => HMACSHA256.HashData(_anchorKey, content);

    /// <summary>
    /// The MAC of one commit's link in the vault's history (a shared store's commit log): its generation, the manifest
    /// root before it and its own, bound to the vault, under the anchor's key (a key only the root derives) with a
    /// label of its own.
    /// </summary>
    public byte[] ChainMac(long generation, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> root)
    {
        var content = new byte[12 + 16 + 8 + 1 + previous.Length + root.Length];
        "KVE2 chain\0\0"u8.CopyTo(content);
        _vaultId.CopyTo(content.AsSpan(12));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(content.AsSpan(28), generation);
        content[36] = (byte)previous.Length;
        previous.CopyTo(content.AsSpan(37));
        root.CopyTo(content.AsSpan(37 + previous.Length));
        return AnchorMac(content);
    }

    /// <summary>Forgets the commit key of a retired key-encryption key version.</summary>
    public void Forget(int kekVersion)
    {
        if (_commitKeys.TryRemove(kekVersion, out var key))
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_binding);
        CryptographicOperations.ZeroMemory(_anchorKey);
        CryptographicOperations.ZeroMemory(BucketKey);
        foreach (var key in _commitKeys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _commitKeys.Clear();
    }

    private byte[] CommitKey(int kekVersion)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_commitKeys.TryGetValue(kekVersion, out var cached))
        {
            return cached;
        }

        var kek = _ring.Get(kekVersion);
        if (kek.IsEmpty)
        {
            throw VaultErrors.KeyEncryptionKeyMissing(kekVersion);
        }

        var key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        Span<byte> info = stackalloc byte[15 + 16 + 4];
        "KVE2 commit mac"u8.CopyTo(info);
        _vaultId.CopyTo(info[15..]);
        BinaryPrimitives.WriteInt32BigEndian(info[31..], kekVersion);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, key, _binding, info);
        var kept = _commitKeys.GetOrAdd(kekVersion, key);
        if (!ReferenceEquals(kept, key))
        {
            CryptographicOperations.ZeroMemory(key); // another thread derived it first
        }

        return kept;
    }

    private void Mac(byte[] key, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, Span<byte> mac)
    {
        // One-shot over one buffer: an incremental HMAC costs a fresh OpenSSL context per bucket, which dominates an open.
        var length = 11 + 16 + before.Length + after.Length;
        var input = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            "KVE2 bucket"u8.CopyTo(input);
            _vaultId.CopyTo(input, 11);
            before.CopyTo(input.AsSpan(27));
            after.CopyTo(input.AsSpan(27 + before.Length));
            HMACSHA256.HashData(key, input.AsSpan(0, length), mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
