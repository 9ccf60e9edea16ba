using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The authenticated list of every record the vault holds: storage key, SHA-256 of the stored bytes, and for versions
/// their sequence number. It is what makes the set of records, not only each record, authenticated: a record that is
/// missing, extra, edited or an older copy disagrees with it.
/// </summary>
/// <remarks>
/// <para>Layout: entries are grouped into 1,024 buckets (an object and all its versions share one, chosen by a keyed
/// hash of the object's key), each stored as one <c>~manifest/{bucket}</c> record. Every bucket exists from the vault's
/// first commit on, empty or not, so a bucket that storage fails to return (a damaged index) is missing, never taken
/// for one that was not there yet. A bucket's hash covers its entries; 32 group hashes cover 32 buckets each; the
/// root covers the groups. A commit rewrites only the buckets it touches (usually one) and recomputes two 1 KiB
/// hashes, so its cost does not grow with the number of buckets.</para>
/// <para>Every bucket written by a commit carries that commit's generation and root, and an HMAC over all of it and its
/// entries (keyed by the commit key of the key-encryption key version it names, bound to the vault). At open every
/// bucket's MAC is checked, and the root all buckets hash to must be the one the newest bucket carries: an edited
/// byte fails its bucket's MAC; an older copy of a bucket, or a removed one, changes the root.</para>
/// <para>Readers look entries up lock-free; the single writer stages a commit on copies (<see cref="Stage"/>) and
/// swaps it in only once it is durable (<see cref="Apply"/>).</para>
/// </remarks>
internal sealed class Manifest
{
    public const int BucketCount = 1024;
    private const int GroupSize = 32;
    private const int GroupCount = BucketCount / GroupSize;
    private const int MacOffset = 4 + 2 + 8 + 4 + RecordHash.Size;
    private const int DocumentHeaderSize = MacOffset + 32;
    private const byte ObjectEntry = 1;
    private const byte VersionEntryKind = 2;
    private const byte OtherEntry = 3;
    private static ReadOnlySpan<byte> Magic => "KVM2"u8;

    private readonly ConcurrentDictionary<string, ObjectIndex>[] _objects;
    private readonly ConcurrentDictionary<string, Entry> _others = new(StringComparer.Ordinal);
    private readonly SortedSet<string>?[] _members = new SortedSet<string>?[BucketCount];
    private readonly bool[] _present = new bool[BucketCount];
    private readonly RecordHash[] _bucketHashes = new RecordHash[BucketCount];
    private readonly RecordHash[] _groupHashes = new RecordHash[GroupCount];
    private readonly byte[] _bucketKey;
    private long _generation;
    private RecordHash _root;

    private Manifest(byte[] bucketKey)
    {
        _bucketKey = bucketKey;
        _objects = new ConcurrentDictionary<string, ObjectIndex>[Enum.GetValues<ObjectType>().Max(t => (int)t) + 1];
        for (var i = 0; i < _objects.Length; i++)
        {
            // Names compare case-insensitively (as in Azure), so a caller's name finds its object without a copy.
            _objects[i] = new ConcurrentDictionary<string, ObjectIndex>(StringComparer.OrdinalIgnoreCase);
        }

        for (var g = 0; g < GroupCount; g++)
        {
            _groupHashes[g] = GroupHash(g);
        }

        _root = RootHash();
    }

    /// <summary>The generation of the last commit applied (0 for a vault with no commit yet).</summary>
    public long Generation => Volatile.Read(ref _generation);

    public RecordHash Root => _root;

    /// <summary>How many records the manifest lists.</summary>
    public int Count => _others.Count + _objects.Sum(m => m.Values.Sum(o => 1 + o.Versions.Length));

    /// <summary>An empty manifest (a new vault).</summary>
    public static Manifest Empty(byte[] bucketKey) => new(bucketKey);

    /// <summary>
    /// Rebuilds the manifest from its stored buckets, each checked against its MAC, and checks that together they hash to
    /// the root the newest one carries. Returns the newest commit's key-encryption key version.
    /// </summary>
    /// <exception cref="VaultIntegrityException">
    /// A bucket is malformed, fails its MAC, is missing, or lists a record twice; or the buckets are not all of one commit's state.
    /// </exception>
    public static (Manifest Manifest, int KekVersion) Load(IEnumerable<StoredRecord> buckets, MetadataKeys keys)
    {
        var manifest = new Manifest(keys.BucketKey);
        var claim = new CommitClaim(0, 0, default);
        var versions = new Dictionary<string, List<VersionEntry>>(StringComparer.Ordinal);
        var objectHashes = new Dictionary<string, (ObjectType Type, string Name, RecordHash Hash, int Bucket)>(StringComparer.Ordinal);
        foreach (var stored in buckets)
        {
            var index = ParseIndex(stored.Key);
            var document = stored.Value;
            if (document.Length < DocumentHeaderSize || !document.AsSpan(0, 4).SequenceEqual(Magic) || BinaryPrimitives.ReadUInt16BigEndian(document.AsSpan(4)) != index)
            {
                throw Damaged($"manifest bucket {index} is malformed");
            }

            if (manifest._present[index])
            {
                throw Damaged($"manifest bucket {index} is stored twice");
            }

            var generation = BinaryPrimitives.ReadInt64BigEndian(document.AsSpan(6));
            var kek = BinaryPrimitives.ReadInt32BigEndian(document.AsSpan(14));
            if (!keys.VerifyBucket(kek, Signed(document), document.AsSpan(MacOffset, 32)))
            {
                throw Damaged($"manifest bucket {index} fails its MAC (edited, forged, or authenticated by a key the vault no longer holds)");
            }

            if (generation > claim.Generation)
            {
                claim = new CommitClaim(generation, kek, RecordHash.Read(document.AsSpan(18)));
            }

            manifest._present[index] = true;
            manifest._bucketHashes[index] = BucketHash(index, document.AsSpan(DocumentHeaderSize));
            var members = manifest._members[index] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (kind, key, hash, tag) in ParseEntries(document, index))
            {
                members.Add(RecordKeys.GroupOf(key));
                switch (kind)
                {
                    case ObjectEntry when RecordKeys.TryParseObject(key, out var type, out var name, out var v) && v is null:
                        if (!objectHashes.TryAdd(key, (type, name, hash, index)))
                        {
                            throw Damaged($"manifest lists record '{key}' twice");
                        }

                        break;
                    case VersionEntryKind when RecordKeys.TryParseObject(key, out _, out _, out var version) && version is not null:
                        var objectKey = RecordKeys.GroupOf(key);
                        if (!versions.TryGetValue(objectKey, out var list))
                        {
                            versions[objectKey] = list = [];
                        }

                        list.Add(new VersionEntry(version, key, hash, tag));
                        break;
                    case OtherEntry when !RecordKeys.TryParseObject(key, out _, out _, out _):
                        if (!manifest._others.TryAdd(key, new Entry(hash, index)))
                        {
                            throw Damaged($"manifest lists record '{key}' twice");
                        }

                        break;
                    default:
                        throw Damaged($"manifest bucket {index} has an entry of the wrong kind for '{key}'");
                }
            }
        }

        var missing = Enumerable.Range(0, BucketCount).Where(i => !manifest._present[i]).ToList();
        if (missing.Count > 0)
        {
            throw Damaged($"{missing.Count} of its {BucketCount} buckets (the first: {missing[0]}) are missing from storage");
        }

        foreach (var (key, (type, name, hash, bucket)) in objectHashes)
        {
            if (!versions.Remove(key, out var list) || list.Count == 0)
            {
                throw Damaged($"manifest lists object '{key}' without any version");
            }

            list.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
            if (list.Select(v => v.Version).Distinct(StringComparer.Ordinal).Count() != list.Count)
            {
                throw Damaged($"manifest lists a version of '{key}' twice");
            }

            manifest._objects[(int)type][name] = new ObjectIndex(type, name, hash, [.. list], bucket);
        }

        if (versions.Count > 0)
        {
            throw Damaged($"manifest lists versions of '{versions.Keys.First()}', which it does not list");
        }

        for (var g = 0; g < GroupCount; g++)
        {
            manifest._groupHashes[g] = manifest.GroupHash(g);
        }

        manifest._root = manifest.RootHash();
        if (claim.Generation == 0 || !manifest._root.Equals(claim.Root))
        {
            throw Damaged("its buckets are not all of one commit (a bucket was replaced by an older copy, or removed)");
        }

        manifest._generation = claim.Generation;
        return (manifest, claim.KekVersion);
    }

    public bool TryGetObject(ObjectType type, string name, out ObjectIndex index) => _objects[(int)type].TryGetValue(name, out index!);

    /// <summary>Every object of a type (active and deleted), in no particular order.</summary>
    public ICollection<ObjectIndex> Objects(ObjectType type) => _objects[(int)type].Values;

    public bool TryGet(string key, out RecordHash hash)
    {
        if (_others.TryGetValue(key, out var entry))
        {
            hash = entry.Hash;
            return true;
        }

        hash = default;
        return false;
    }

    /// <summary>The hash (and a version's sequence) the manifest lists now for any record key.</summary>
    public bool TryGetEntry(string key, out RecordHash hash, out long tag)
    {
        tag = 0;
        if (RecordKeys.TryParseObject(key, out var type, out var name, out var version))
        {
            if (_objects[(int)type].TryGetValue(name, out var index))
            {
                if (version is null)
                {
                    hash = index.Hash;
                    return true;
                }

                if (index.TryGetVersion(version, out var entry))
                {
                    hash = entry.Hash;
                    tag = entry.Sequence;
                    return true;
                }
            }

            hash = default;
            return false;
        }

        return TryGet(key, out hash);
    }

    /// <summary>The keys of the records other than objects and versions that start with <paramref name="prefix"/>, sorted.</summary>
    public IReadOnlyList<string> KeysWithPrefix(string prefix)
    {
        var keys = _others.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>
    /// Works out a commit without changing what readers see: the new state of each changed object and record, the
    /// touched buckets' entries, and the new root, for generation <see cref="Generation"/> + 1.
    /// </summary>
    /// <param name="changes">The records written and removed.</param>
    /// <param name="everyBucket">Rewrites every bucket (their MACs change key: a retired key-encryption key, a new root).</param>
    public StagedManifest Stage(IReadOnlyCollection<ManifestChange> changes, bool everyBucket = false)
    {
        if (changes.Count == 0)
        {
            throw new InvalidOperationException("A commit changes at least one record.");
        }

        var objects = new Dictionary<string, ObjectIndex?>(StringComparer.Ordinal);
        var others = new Dictionary<string, Entry?>(StringComparer.Ordinal);
        var touched = new SortedSet<int>();

        // Per object: its record is created before its versions, and removed after them.
        foreach (var change in changes.OrderBy(Rank))
        {
            if (RecordKeys.TryParseObject(change.Key, out var type, out var name, out var version))
            {
                var objectKey = RecordKeys.Object(type, name);
                if (!objects.TryGetValue(objectKey, out var index))
                {
                    index = _objects[(int)type].TryGetValue(name, out var current) ? current : null;
                }

                var next = Change(index, type, name, version, change);
                objects[objectKey] = next;
                touched.Add(next?.Bucket ?? index!.Bucket);
            }
            else
            {
                var bucket = others.TryGetValue(change.Key, out var pending) && pending is { } p ? p.Bucket
                    : _others.TryGetValue(change.Key, out var existing) ? existing.Bucket
                    : BucketOf(change.Key);
                others[change.Key] = change.Hash is { } hash ? new Entry(hash, bucket) : null;
                touched.Add(bucket);
            }
        }

        // A group emptied of versions (a purged object) goes with its object record; anything else is a bug upstream.
        foreach (var (key, index) in objects)
        {
            if (index is { Versions.Length: 0 })
            {
                throw new InvalidOperationException($"A commit would leave object '{key}' without versions.");
            }
        }

        if (Generation == 0 || everyBucket)
        {
            // The vault's first commit writes every bucket, so that from then on every bucket exists.
            touched.UnionWith(Enumerable.Range(0, BucketCount));
        }

        var bucketHashes = new Dictionary<int, RecordHash>();
        var members = new Dictionary<int, SortedSet<string>>();
        var entries = new Dictionary<int, byte[]>();
        foreach (var bucket in touched)
        {
            var set = new SortedSet<string>(_members[bucket] ?? [], StringComparer.Ordinal);
            foreach (var (key, index) in objects)
            {
                if ((index?.Bucket ?? BucketOfObject(key)) == bucket)
                {
                    _ = index is null ? set.Remove(key) : set.Add(key);
                }
            }

            foreach (var (key, entry) in others)
            {
                if ((entry?.Bucket ?? _others.GetValueOrDefault(key).Bucket) == bucket)
                {
                    _ = entry is null ? set.Remove(key) : set.Add(key);
                }
            }

            var bytes = Serialize(set, objects, others);
            members[bucket] = set;
            entries[bucket] = bytes;
            bucketHashes[bucket] = BucketHash(bucket, bytes);
        }

        var groupHashes = (RecordHash[])_groupHashes.Clone();
        foreach (var group in touched.Select(b => b / GroupSize).Distinct())
        {
            groupHashes[group] = GroupHash(group, b => bucketHashes.TryGetValue(b, out var h) ? h : _bucketHashes[b]);
        }

        return new StagedManifest(Generation + 1, RootHash(groupHashes), objects, others, members, entries, bucketHashes, groupHashes);
    }

    /// <summary>
    /// The stored form of a staged bucket: <c>"KVM2" | bucket | generation | key-encryption key version | root | MAC |
    /// entries</c>, the MAC over every other byte.
    /// </summary>
    public static byte[] BucketDocument(int index, long generation, int kekVersion, RecordHash root, ReadOnlySpan<byte> entries, MetadataKeys keys)
    {
        var document = new byte[DocumentHeaderSize + entries.Length];
        Magic.CopyTo(document);
        BinaryPrimitives.WriteUInt16BigEndian(document.AsSpan(4), (ushort)index);
        BinaryPrimitives.WriteInt64BigEndian(document.AsSpan(6), generation);
        BinaryPrimitives.WriteInt32BigEndian(document.AsSpan(14), kekVersion);
        root.Write(document.AsSpan(18));
        entries.CopyTo(document.AsSpan(DocumentHeaderSize));
        keys.BucketMac(kekVersion, Signed(document)).CopyTo(document, MacOffset);
        return document;
    }

    /// <summary>What a bucket's MAC covers: every byte of the document but the MAC itself.</summary>
    private static byte[] Signed(byte[] document) => [.. document.AsSpan(0, MacOffset), .. document.AsSpan(DocumentHeaderSize)];

    /// <summary>Makes a staged commit what readers see. Call only after it is durable, and in commit order.</summary>
    public void Apply(StagedManifest staged)
    {
        if (staged.Generation != Generation + 1)
        {
            throw new InvalidOperationException($"Manifest commits apply in order: expected generation {Generation + 1}, got {staged.Generation}.");
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

        foreach (var (bucket, set) in staged.Members)
        {
            _members[bucket] = set;
            _present[bucket] = true;
            _bucketHashes[bucket] = staged.BucketHashes[bucket];
        }

        Array.Copy(staged.GroupHashes, _groupHashes, GroupCount);
        _root = staged.Root;
        Volatile.Write(ref _generation, staged.Generation);
    }

    /// <summary>The bucket of a new group key: the first 12 bits of HMAC-SHA-256 under the vault's bucket key.</summary>
    private int BucketOf(string groupKey)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_bucketKey, Encoding.UTF8.GetBytes(groupKey), mac);
        return BinaryPrimitives.ReadUInt16BigEndian(mac) & (BucketCount - 1);
    }

    private int BucketOfObject(string objectKey)
    {
        RecordKeys.TryParseObject(objectKey, out var type, out var name, out _);
        return _objects[(int)type].TryGetValue(name, out var index) ? index.Bucket : BucketOf(objectKey);
    }

    private static int Rank(ManifestChange change) =>
        !RecordKeys.TryParseObject(change.Key, out _, out _, out var version) ? 1
        : version is not null ? 1
        : change.Hash is null ? 2 : 0;

    private ObjectIndex? Change(ObjectIndex? index, ObjectType type, string name, string? version, ManifestChange change)
    {
        if (version is null)
        {
            // The object record: removing it removes the object (its versions must go in the same commit).
            if (change.Hash is not { } hash)
            {
                return index is null ? null : index.Versions.Length == 0 ? null : throw new InvalidOperationException($"Object '{change.Key}' is removed while it still has versions.");
            }

            return index?.WithObject(hash) ?? new ObjectIndex(type, name, hash, [], BucketOf(RecordKeys.Object(type, name)));
        }

        if (index is null)
        {
            throw new InvalidOperationException($"Version '{change.Key}' is written before its object record.");
        }

        return change.Hash is { } versionHash
            ? index.WithVersion(new VersionEntry(version, change.Key, versionHash, change.Tag))
            : index.WithoutVersion(version);
    }

    private byte[] Serialize(SortedSet<string> groups, Dictionary<string, ObjectIndex?> objects, Dictionary<string, Entry?> others)
    {
        using var buffer = new MemoryStream();
        Span<byte> fixedPart = stackalloc byte[RecordHash.Size + 8];
        foreach (var group in groups)
        {
            if (RecordKeys.TryParseObject(group, out var type, out var name, out _))
            {
                var index = objects.TryGetValue(group, out var staged) ? staged! : _objects[(int)type][name];
                WriteEntry(buffer, ObjectEntry, group, index.Hash, 0, fixedPart);
                foreach (var version in index.Versions)
                {
                    WriteEntry(buffer, VersionEntryKind, version.Key, version.Hash, version.Sequence, fixedPart);
                }
            }
            else
            {
                var entry = others.TryGetValue(group, out var staged) ? staged!.Value : _others[group];
                WriteEntry(buffer, OtherEntry, group, entry.Hash, 0, fixedPart);
            }
        }

        return buffer.ToArray();
    }

    private static void WriteEntry(MemoryStream buffer, byte kind, string key, RecordHash hash, long tag, Span<byte> scratch)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        buffer.WriteByte(kind);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)keyBytes.Length));
        buffer.Write(length);
        buffer.Write(keyBytes);
        hash.Write(scratch);
        BinaryPrimitives.WriteInt64BigEndian(scratch[RecordHash.Size..], tag);
        buffer.Write(scratch);
    }

    /// <summary>The entries of a bucket document, which run from its header to its end.</summary>
    private static List<(byte Kind, string Key, RecordHash Hash, long Tag)> ParseEntries(byte[] document, int index)
    {
        var result = new List<(byte, string, RecordHash, long)>();
        var at = DocumentHeaderSize;
        while (at < document.Length)
        {
            if (document.Length - at < 3)
            {
                throw Damaged($"manifest bucket {index} is truncated");
            }

            var kind = document[at];
            var keyLength = BinaryPrimitives.ReadUInt16BigEndian(document.AsSpan(at + 1));
            at += 3;
            if (keyLength == 0 || document.Length - at < keyLength + RecordHash.Size + 8)
            {
                throw Damaged($"manifest bucket {index} is truncated");
            }

            string key;
            try
            {
                key = StrictAscii.GetString(document, at, keyLength);
            }
            catch (DecoderFallbackException ex)
            {
                throw new VaultIntegrityException($"The vault's manifest failed its integrity check: bucket {index} holds a key that is not ASCII.", ex);
            }

            at += keyLength;
            var hash = RecordHash.Read(document.AsSpan(at));
            var tag = BinaryPrimitives.ReadInt64BigEndian(document.AsSpan(at + RecordHash.Size));
            at += RecordHash.Size + 8;
            result.Add((kind, key, hash, tag));
        }

        return result;
    }

    private static readonly Encoding StrictAscii = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private static int ParseIndex(string key)
    {
        if (!key.StartsWith(RecordKeys.ManifestPrefix, StringComparison.Ordinal)
            || !int.TryParse(key.AsSpan(RecordKeys.ManifestPrefix.Length), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var index)
            || index is < 0 or >= BucketCount || key.Length != RecordKeys.ManifestPrefix.Length + 3)
        {
            throw Damaged($"the store holds a manifest record '{key}' that is not a bucket");
        }

        return index;
    }

    private static RecordHash BucketHash(int index, ReadOnlySpan<byte> entries)
    {
        var input = new byte[12 + 2 + entries.Length];
        "KVE2 bucket\0"u8.CopyTo(input);
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(12), (ushort)index);
        entries.CopyTo(input.AsSpan(14));
        return RecordHash.Digest(input);
    }

    private RecordHash GroupHash(int group) => GroupHash(group, b => _present[b] ? _bucketHashes[b] : default);

    private static RecordHash GroupHash(int group, Func<int, RecordHash> bucketHash)
    {
        Span<byte> input = stackalloc byte[12 + 1 + (GroupSize * RecordHash.Size)];
        "KVE2 group\0\0"u8.CopyTo(input);
        input[12] = (byte)group;
        for (var i = 0; i < GroupSize; i++)
        {
            bucketHash((group * GroupSize) + i).Write(input[(13 + (i * RecordHash.Size))..]);
        }

        return RecordHash.Digest(input);
    }

    private RecordHash RootHash() => RootHash(_groupHashes);

    private static RecordHash RootHash(RecordHash[] groupHashes)
    {
        Span<byte> input = stackalloc byte[12 + (GroupCount * RecordHash.Size)];
        "KVE2 root\0\0\0"u8.CopyTo(input);
        for (var g = 0; g < GroupCount; g++)
        {
            groupHashes[g].Write(input[(12 + (g * RecordHash.Size))..]);
        }

        return RecordHash.Digest(input);
    }

    private static VaultIntegrityException Damaged(string detail) =>
        new($"The vault's manifest failed its integrity check: {detail}. The file was altered or damaged.");

    /// <summary>A record other than an object or version: its hash and bucket.</summary>
    internal readonly record struct Entry(RecordHash Hash, int Bucket);

    /// <summary>What the newest bucket says of its commit: generation, key-encryption key version, root.</summary>
    private readonly record struct CommitClaim(long Generation, int KekVersion, RecordHash Root);
}

/// <summary>One record a commit writes (<see cref="Hash"/> set) or removes (null).</summary>
/// <param name="Key">The storage key.</param>
/// <param name="Hash">The new record's hash, or null when it is removed.</param>
/// <param name="Tag">A version's sequence number; 0 for other records.</param>
internal readonly record struct ManifestChange(string Key, RecordHash? Hash, long Tag = 0);

/// <summary>A commit worked out by <see cref="Manifest.Stage"/>, not yet visible to readers.</summary>
internal sealed record StagedManifest(
    long Generation,
    RecordHash Root,
    IReadOnlyDictionary<string, ObjectIndex?> Objects,
    IReadOnlyDictionary<string, Manifest.Entry?> Others,
    IReadOnlyDictionary<int, SortedSet<string>> Members,
    IReadOnlyDictionary<int, byte[]> Entries,
    IReadOnlyDictionary<int, RecordHash> BucketHashes,
    RecordHash[] GroupHashes)
{
    /// <summary>The staged state of an object (null when removed), if this commit changes it.</summary>
    public bool TryGetObject(string objectKey, out ObjectIndex? index) => Objects.TryGetValue(objectKey, out index);
}
