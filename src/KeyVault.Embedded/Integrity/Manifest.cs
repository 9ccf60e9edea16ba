using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The authenticated list of every record the vault holds: its key, its id in the store, the SHA-256 of its stored
/// bytes, and for versions their sequence number. It is what makes the set of records, not only each record, authenticated: a record that is
/// missing, extra, edited or an older copy disagrees with it.
/// </summary>
/// <remarks>
/// <para>Layout: entries live in buckets (records <c>~manifest/{bucket}</c>, see <see cref="ManifestBucket"/>), placed by a
/// keyed hash of their key in a linear-hashing table: it starts with 64 buckets and splits one bucket at a time as the
/// vault grows (about 24 entries a bucket), so a commit rewrites one or two small buckets whatever the vault's size.
/// Every bucket of the table exists: one that storage fails to return (a damaged index) is missing, never taken for
/// one not made yet. A bucket's hash covers its entries; group hashes cover 32 buckets each; the root covers the
/// table's shape and the groups.</para>
/// <para>Every bucket a commit writes carries that commit's generation, table shape and root, MAC'd with all its bytes.
/// At open every bucket's MAC is checked, and the buckets must hash to the root the newest one carries: an edited byte
/// fails its bucket's MAC; an older copy of a bucket, or a missing one, changes the root or the table.</para>
/// <para>Readers look entries up lock-free; the single writer stages a commit on copies (<see cref="Stage"/>) and swaps
/// it in only once it is durable (<see cref="Apply"/>).</para>
/// </remarks>
internal sealed partial class Manifest
{
    public const int InitialLevel = 6;

    /// <summary>One slot per object type (indexed by its value).</summary>
    private static readonly int TypeSlots = Enum.GetValues<ObjectType>().Max(t => (int)t) + 1;
    private const int LoadFactor = 32;
    private const int GroupSize = 32;

    private readonly ConcurrentDictionary<string, ObjectIndex>[] _objects;
    private ConcurrentDictionary<string, Entry> _others = new(StringComparer.Ordinal);
    private readonly List<BucketMembers> _buckets = [];
    private readonly List<RecordHash> _bucketHashes = [];
    private readonly List<int> _bucketLengths = [];

    // The SHA-256 of each bucket's stored document as this manifest last wrote or read it: a catch-up compares them with
    // what the store holds, so that a bucket row edited in the store is found though the catch-up does not read it.
    private readonly List<RecordHash> _documentHashes = [];
    private readonly List<RecordHash> _groupHashes = [];
    private byte[] _bucketKey;
    private int _level = InitialLevel;
    private int _split;
    private int _entries;
    private long _generation;
    private RecordHash _root;
    private bool _othersOnly;

    private Manifest(byte[] bucketKey)
    {
        _bucketKey = bucketKey.ToArray(); // its own copy: the keys it came from may be disposed (a root rotation)
        _objects = new ConcurrentDictionary<string, ObjectIndex>[TypeSlots];
        for (var i = 0; i < _objects.Length; i++)
        {
            // Names compare case-insensitively (as in Azure), so a caller's name finds its object without a copy.
            _objects[i] = new ConcurrentDictionary<string, ObjectIndex>(StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>The generation of the last commit applied (0 for a vault with no commit yet).</summary>
    public long Generation => Volatile.Read(ref _generation);

    public RecordHash Root => _root;

    /// <summary>How many records the manifest lists.</summary>
    public int Count => _entries;

    /// <summary>How many buckets the table has.</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>An empty manifest (a new vault): its first commit writes the initial buckets.</summary>
    public static Manifest Empty(byte[] bucketKey) => new(bucketKey);

    public bool TryGetObject(ObjectType type, string name, out ObjectIndex index) => Objects()[(int)type].TryGetValue(name, out index!);

    /// <summary>Every object of a type (active and deleted), in no particular order.</summary>
    public ICollection<ObjectIndex> Objects(ObjectType type) => Objects()[(int)type].Values;

    /// <summary>The object indexes, refused on a manifest that shows only the other records (<see cref="OthersAt"/>).</summary>
    private ConcurrentDictionary<string, ObjectIndex>[] Objects() =>
        _othersOnly ? throw new InvalidOperationException("This manifest shows a catch-up's records other than objects and versions only.") : _objects;

    /// <summary>The entry of a record other than an object or version (the header, a key-encryption key, a setting).</summary>
    public bool TryGet(string key, out Listed listed)
    {
        if (_others.TryGetValue(key, out var entry))
        {
            listed = new Listed(entry.Hash, 0, entry.Id);
            return true;
        }

        listed = default;
        return false;
    }

    /// <summary>What the manifest lists now for any record key: its hash, id and (a version's) sequence.</summary>
    public bool TryGetEntry(string key, out Listed listed)
    {
        if (RecordKeys.TryParseObject(key, out var type, out var name, out var version))
        {
            if (Objects()[(int)type].TryGetValue(name, out var index))
            {
                if (version is null)
                {
                    listed = new Listed(index.Hash, 0, index.Id);
                    return true;
                }

                if (index.TryGetVersion(version, out var entry))
                {
                    listed = new Listed(entry.Hash, entry.Sequence, entry.Id);
                    return true;
                }
            }

            listed = default;
            return false;
        }

        return TryGet(key, out listed);
    }

    /// <summary>The length of a bucket's stored document, or -1 for a bucket not made yet.</summary>
    public int StoredBucketLength(int bucket) => Generation > 0 && bucket < _bucketLengths.Count ? ManifestBucket.StoredLength(_bucketLengths[bucket]) : -1;

    /// <summary>The keys of the records other than objects and versions that start with <paramref name="prefix"/>, sorted.</summary>
    public IReadOnlyList<string> KeysWithPrefix(string prefix)
    {
        var keys = _others.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>
    /// Every record the manifest lists (key, hash, id), with every manifest bucket (hash null: a bucket is checked by its
    /// MAC and the root, not listed). Call under the write lock, for a view of one generation (a backup's snapshot).
    /// </summary>
    public List<(string Key, RecordHash? Hash, long Id)> Listing()
    {
        var listing = new List<(string Key, RecordHash? Hash, long Id)>(_entries + _buckets.Count);
        foreach (var (key, entry) in _others)
        {
            listing.Add((key, entry.Hash, entry.Id));
        }

        foreach (var objects in Objects())
        {
            foreach (var index in objects.Values)
            {
                listing.Add((index.Key, index.Hash, index.Id));
                foreach (var version in index.Versions)
                {
                    listing.Add((version.Key, version.Hash, version.Id));
                }
            }
        }

        for (var bucket = 0; bucket < _buckets.Count; bucket++)
        {
            listing.Add((ManifestBucket.Key(bucket), null, RecordIds.Bucket(bucket)));
        }

        listing.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return listing;
    }

    /// <summary>Each bucket's hash now, by index (a backup's snapshot checks the buckets it copies against them).</summary>
    public RecordHash[] BucketHashes() => [.. _bucketHashes];

    /// <summary>
    /// Makes a staged commit what readers see. Call only after it is durable, and in commit order; or, with
    /// <paramref name="catchUp"/>, a state other instances committed (<see cref="CatchUp"/>), under the write lock.
    /// </summary>
    public void Apply(StagedManifest staged, bool catchUp = false)
    {
        if (catchUp ? staged.Generation <= Generation || staged.Base != (Generation, _root) : staged.Generation != Generation + 1 && !(staged.Skips && staged.Generation > Generation))
        {
            throw new InvalidOperationException($"Manifest commits apply in order, each on the state it was worked out from: at generation {Generation}, got {staged.Generation}.");
        }

        foreach (var (key, index) in staged.Objects)
        {
            RecordKeys.TryParseObject(key, out var type, out var name, out _);
            if (index is null)
            {
                _objects[(int)type].TryRemove(name, out _);
            }
            else
            {
                _objects[(int)type][name] = index;
            }
        }

        foreach (var (key, entry) in staged.Others)
        {
            if (entry is { } e)
            {
                _others[key] = e;
            }
            else
            {
                _others.TryRemove(key, out _);
            }
        }

        foreach (var (bucket, set) in staged.Buckets)
        {
            while (_buckets.Count <= bucket)
            {
                _buckets.Add(new BucketMembers());
                _bucketHashes.Add(default);
            }

            _buckets[bucket] = set;
        }

        foreach (var (bucket, hash) in staged.BucketHashes)
        {
            _bucketHashes[bucket] = hash;
        }

        foreach (var (bucket, bytes) in staged.BucketBytes)
        {
            while (_bucketLengths.Count <= bucket)
            {
                _bucketLengths.Add(0);
            }

            _bucketLengths[bucket] = bytes.Length;
        }

        foreach (var (bucket, document) in staged.DocumentHashes ?? new Dictionary<int, RecordHash>())
        {
            while (_documentHashes.Count <= bucket)
            {
                _documentHashes.Add(default);
            }

            _documentHashes[bucket] = document;
        }

        _groupHashes.Clear();
        _groupHashes.AddRange(staged.GroupHashes);
        (_level, _split, _entries, _root, _bucketKey) = (staged.Level, staged.Split, staged.Entries, staged.Root, staged.BucketKey);
        Volatile.Write(ref _generation, staged.Generation);
    }

    /// <summary>
    /// Takes on the whole state of <paramref name="loaded"/> (a manifest loaded and checked from a shared store that
    /// other instances committed to). Call under the write lock. Readers looking up meanwhile see the old state or the
    /// new one per object type; a record read against an old entry fails its hash and is looked up again.
    /// </summary>
    public void ReplaceWith(Manifest loaded)
    {
        if (loaded.Generation <= Generation)
        {
            throw new InvalidOperationException($"A manifest only moves forward: at generation {Generation}, given {loaded.Generation}.");
        }

        for (var t = 0; t < _objects.Length; t++)
        {
            _objects[t] = loaded._objects[t];
        }

        _others = loaded._others;
        _buckets.Clear();
        _buckets.AddRange(loaded._buckets);
        _bucketHashes.Clear();
        _bucketHashes.AddRange(loaded._bucketHashes);
        _bucketLengths.Clear();
        _bucketLengths.AddRange(loaded._bucketLengths);
        _documentHashes.Clear();
        _documentHashes.AddRange(loaded._documentHashes);
        _groupHashes.Clear();
        _groupHashes.AddRange(loaded._groupHashes);
        (_level, _split, _entries, _root, _bucketKey) = (loaded._level, loaded._split, loaded._entries, loaded._root, loaded._bucketKey);
        Volatile.Write(ref _generation, loaded.Generation);
    }

    internal static VaultIntegrityException Damaged(string detail) =>
        new($"The vault's manifest failed its integrity check: {detail}. The file was altered or damaged.");

    /// <summary>A key's keyed hash (HMAC-SHA-256 under the vault's bucket key, first 8 bytes): where linear hashing places it.</summary>
    private static ulong KeyHash(byte[] bucketKey, string key)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(bucketKey, Encoding.UTF8.GetBytes(key), mac);
        return BinaryPrimitives.ReadUInt64BigEndian(mac);
    }

    /// <summary>A bucket's hash: what the table's groups and root are made of.</summary>
    internal static RecordHash BucketHash(int index, ReadOnlySpan<byte> entries)
    {
        var input = ArrayPool<byte>.Shared.Rent(16 + entries.Length);
        try
        {
            "KVE2 bucket\0"u8.CopyTo(input);
            BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(12), index);
            entries.CopyTo(input.AsSpan(16));
            return RecordHash.Digest(input.AsSpan(0, 16 + entries.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static RecordHash GroupHash(int group, int buckets, Func<int, RecordHash> bucketHash)
    {
        var first = group * GroupSize;
        var count = Math.Min(GroupSize, buckets - first);
        Span<byte> input = stackalloc byte[12 + 4 + (GroupSize * RecordHash.Size)];
        "KVE2 group\0\0"u8.CopyTo(input);
        BinaryPrimitives.WriteInt32BigEndian(input[12..], group);
        for (var i = 0; i < count; i++)
        {
            bucketHash(first + i).Write(input[(16 + (i * RecordHash.Size))..]);
        }

        return RecordHash.Digest(input[..(16 + (count * RecordHash.Size))]);
    }

    private static RecordHash RootHash(int buckets, int level, int split, IReadOnlyList<RecordHash> groupHashes)
    {
        var input = new byte[12 + 4 + 1 + 4 + (groupHashes.Count * RecordHash.Size)];
        "KVE2 root\0\0\0"u8.CopyTo(input);
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(12), buckets);
        input[16] = (byte)level;
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(17), split);
        for (var g = 0; g < groupHashes.Count; g++)
        {
            groupHashes[g].Write(input.AsSpan(21 + (g * RecordHash.Size)));
        }

        return RecordHash.Digest(input);
    }

    /// <summary>A record other than an object or version: its hash and id.</summary>
    internal readonly record struct Entry(RecordHash Hash, long Id);


}

/// <summary>One record a commit writes (<see cref="Hash"/> set) or removes (null).</summary>
/// <param name="Key">The record's key.</param>
/// <param name="Hash">The new record's hash, or null when it is removed.</param>
/// <param name="Tag">A version's sequence number; 0 for other records.</param>
/// <param name="Id">The record's id in the store.</param>
internal readonly record struct ManifestChange(string Key, RecordHash? Hash, long Tag, long Id);

/// <summary>What the manifest lists for one record.</summary>
/// <param name="Hash">The SHA-256 of its key and stored bytes.</param>
/// <param name="Tag">A version's sequence number; 0 for other records.</param>
/// <param name="Id">Its id in the store.</param>
internal readonly record struct Listed(RecordHash Hash, long Tag, long Id);

/// <summary>A commit worked out by <see cref="Manifest.Stage"/>, not yet visible to readers.</summary>
internal sealed record StagedManifest(
    long Generation,
    RecordHash Root,
    int Level,
    int Split,
    int Entries,
    IReadOnlyDictionary<string, ObjectIndex?> Objects,
    IReadOnlyDictionary<string, Manifest.Entry?> Others,
    IReadOnlyDictionary<int, BucketMembers> Buckets,
    IReadOnlyDictionary<int, byte[]> BucketBytes,
    IReadOnlyDictionary<int, RecordHash> BucketHashes,
    IReadOnlyList<RecordHash> GroupHashes,
    byte[] BucketKey)
{
    /// <summary>The SHA-256 of each bucket document the commit writes (what a later catch-up compares with the store's rows).</summary>
    public IReadOnlyDictionary<int, RecordHash>? DocumentHashes { get; init; }

    /// <summary>Whether the commit jumps past generations (<see cref="Operations.VaultTransaction.SkipToGeneration"/>).</summary>
    public bool Skips { get; init; }

    /// <summary>The generation and root of the manifest a catch-up's change was worked out from (<see cref="Manifest.CatchUp"/>).</summary>
    public (long Generation, RecordHash Root)? Base { get; init; }

    /// <summary>What every bucket this commit writes carries (with the MACs' key-encryption key version).</summary>
    public ManifestHead Head(int kekVersion) => new(Generation, kekVersion, Level, Split, Root);
}
