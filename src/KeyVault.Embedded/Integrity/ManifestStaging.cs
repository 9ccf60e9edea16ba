using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>Working out a commit on copies, without changing what readers see (see <see cref="Stage"/>).</summary>
internal sealed partial class Manifest
{
    /// <summary>
    /// Works out a commit without changing what readers see: the new state of each changed object and record, the
    /// buckets it touches (split ones included) with their entries, and the new root, for generation
    /// <see cref="Generation"/> + 1.
    /// </summary>
    /// <param name="changes">The records written and removed.</param>
    /// <param name="everyBucket">Rewrites every bucket (their MACs change key: a retired key-encryption key, a new root).</param>
    /// <param name="bucketKey">A new key to place entries by (a new root): every entry is placed anew, and every bucket rewritten.</param>
    /// <param name="generation">The generation the commit makes: the next one, or one further on (<see cref="Operations.VaultTransaction.SkipToGeneration"/>).</param>
    public StagedManifest Stage(IReadOnlyCollection<ManifestChange> changes, bool everyBucket = false, byte[]? bucketKey = null, long? generation = null)
    {
        var next = generation ?? Generation + 1;
        if (next <= Generation)
        {
            throw new InvalidOperationException($"A commit moves the generation forward: at {Generation}, asked for {next}.");
        }

        if (changes.Count == 0)
        {
            throw new InvalidOperationException("A commit changes at least one record.");
        }

        var work = new Staging(this);

        // Per object: its record is created before its versions, and removed after them.
        foreach (var change in changes.OrderBy(Rank))
        {
            work.Apply(change);
        }

        while (work.Entries > work.BucketCount * LoadFactor)
        {
            work.SplitNext();
        }

        if (bucketKey is not null && !bucketKey.AsSpan().SequenceEqual(_bucketKey))
        {
            work.Rehash(bucketKey.ToArray());
        }

        if (Generation == 0 || everyBucket || work.Rehashed)
        {
            // The first commit writes the whole initial table, so that from then on every bucket exists.
            work.Touched.UnionWith(Enumerable.Range(0, work.BucketCount));
        }

        foreach (var (key, index) in work.Objects)
        {
            if (index is { VersionCount: 0 })
            {
                throw new InvalidOperationException($"A commit would leave object '{key}' without versions.");
            }
        }

        var bucketHashes = new Dictionary<int, RecordHash>();
        var entries = new Dictionary<int, byte[]>();
        foreach (var bucket in work.Touched)
        {
            var bytes = work.Serialize(bucket);
            entries[bucket] = bytes;
            bucketHashes[bucket] = BucketHash(bucket, bytes);
        }

        RecordHash HashOf(int b) => bucketHashes.TryGetValue(b, out var h) ? h : _bucketHashes[b];
        var groupHashes = new Dictionary<int, RecordHash>();
        foreach (var group in work.Touched.Select(b => b / GroupSize).Distinct())
        {
            groupHashes[group] = GroupHash(group, work.BucketCount, HashOf);
        }

        var allGroups = new List<RecordHash>((work.BucketCount + GroupSize - 1) / GroupSize);
        for (var g = 0; g * GroupSize < work.BucketCount; g++)
        {
            allGroups.Add(groupHashes.TryGetValue(g, out var h) ? h : _groupHashes[g]);
        }

        var root = RootHash(work.BucketCount, work.Level, work.Split, allGroups);
        return new StagedManifest(next, root, work.Level, work.Split, work.Entries, work.Objects, work.Others, work.Buckets, entries, bucketHashes, allGroups, work.Key) { Skips = next != Generation + 1 };
    }

    private static int Rank(ManifestChange change) =>
        !RecordKeys.TryParseObject(change.Key, out _, out _, out var version) ? 1
        : version is not null ? 1
        : change.Hash is null ? 2 : 0;

    /// <summary>
    /// The commit being worked out: copies of what it changes (object indexes, other entries, bucket member sets),
    /// looked up before the manifest itself.
    /// </summary>
    private sealed class Staging
    {
        private readonly Manifest _manifest;

        public Staging(Manifest manifest)
        {
            _manifest = manifest;
            Level = manifest._level;
            Split = manifest._split;
            Entries = manifest._entries;
            BucketCount = manifest.Generation == 0 ? 1 << Level : manifest._buckets.Count;
            Key = manifest._bucketKey;
        }

        public Dictionary<string, ObjectIndex?> Objects { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Entry?> Others { get; } = new(StringComparer.Ordinal);

        public Dictionary<int, BucketMembers> Buckets { get; } = [];

        /// <summary>The key this commit places entries by.</summary>
        public byte[] Key { get; private set; }

        /// <summary>Whether every entry was placed anew (under a new key).</summary>
        public bool Rehashed { get; private set; }

        public SortedSet<int> Touched { get; } = [];

        public int Level { get; private set; }

        public int Split { get; private set; }

        public int Entries { get; private set; }

        public int BucketCount { get; private set; }

        public void Apply(ManifestChange change)
        {
            var isObject = RecordKeys.TryParseObject(change.Key, out var type, out var name, out var version);
            var index = isObject ? IndexOf(type, name) : null;
            var bucket = Address(KeyHash(Key, change.Key));
            var members = BucketAt(bucket);
            var listed = members.Contains(change.Key);
            if (change.Hash is not { } hash)
            {
                if (listed)
                {
                    members.Remove(change.Key);
                    Touched.Add(bucket);
                    Place(change.Key, isObject, type, name, version, index, null, 0, 0);
                    Entries--;
                }

                return;
            }

            if (!listed)
            {
                Entries++;
            }

            var kind = !isObject ? ManifestBucket.OtherEntry : version is null ? ManifestBucket.ObjectEntry : ManifestBucket.VersionEntry;
            members.Set(new BucketEntry(change.Key, kind, hash, change.Tag, change.Id));
            Touched.Add(bucket);
            Place(change.Key, isObject, type, name, version, index, hash, change.Tag, change.Id);
        }

        /// <summary>Places every entry anew under <paramref name="key"/>, in a table of the same shape.</summary>
        public void Rehash(byte[] key)
        {
            var all = new List<BucketEntry>(Entries);
            for (var bucket = 0; bucket < BucketCount; bucket++)
            {
                all.AddRange(BucketAt(bucket).Entries);
            }

            Key = key;
            Rehashed = true;
            for (var bucket = 0; bucket < BucketCount; bucket++)
            {
                Buckets[bucket] = new BucketMembers();
            }

            foreach (var entry in all)
            {
                Buckets[Address(KeyHash(key, entry.Key))].Set(entry);
            }
        }

        /// <summary>Linear hashing's split: bucket <see cref="Split"/> shares its entries with a new bucket at the end.</summary>
        public void SplitNext()
        {
            var source = Split;
            var target = BucketCount;
            var level = Level;
            var key = Key;
            Buckets[target] = BucketAt(source).Split(entry => (int)(KeyHash(key, entry.Key) & ((2UL << level) - 1)) != source);

            Touched.Add(source);
            Touched.Add(target);
            BucketCount++;
            if (++Split == 1 << Level)
            {
                Level++;
                Split = 0;
            }
        }

        public byte[] Serialize(int bucket) => BucketAt(bucket).Serialize();

        private int Address(ulong hash)
        {
            var bucket = (int)(hash & ((1UL << Level) - 1));
            return bucket < Split ? (int)(hash & ((2UL << Level) - 1)) : bucket;
        }

        private BucketMembers BucketAt(int bucket)
        {
            if (!Buckets.TryGetValue(bucket, out var entries))
            {
                entries = bucket < _manifest._buckets.Count ? _manifest._buckets[bucket].Copy() : new BucketMembers();
                Buckets[bucket] = entries;
            }

            return entries;
        }

        private ObjectIndex? IndexOf(ObjectType type, string name)
        {
            var objectKey = RecordKeys.Object(type, name);
            if (Objects.TryGetValue(objectKey, out var staged))
            {
                return staged;
            }

            return _manifest._objects[(int)type].TryGetValue(name, out var index) ? index : null;
        }

        /// <summary>Records a key's new hash and bucket (or its removal) in this commit's copies of the index.</summary>
        private void Place(string key, bool isObject, ObjectType type, string name, string? version, ObjectIndex? index, RecordHash? hash, long tag, long id)
        {
            if (!isObject)
            {
                Others[key] = hash is { } otherHash ? new Entry(otherHash, id) : null;
                return;
            }

            var objectKey = RecordKeys.Object(type, name);
            if (version is null)
            {
                if (hash is not { } objectHash)
                {
                    if (index is { VersionCount: > 0 })
                    {
                        throw new InvalidOperationException($"Object '{objectKey}' is removed while it still has versions.");
                    }

                    Objects[objectKey] = null;
                    return;
                }

                Objects[objectKey] = index?.WithObject(objectHash, id) ?? ObjectIndex.Create(type, name, objectHash, id, []);
                return;
            }

            if (index is null)
            {
                throw new InvalidOperationException($"Version '{key}' is written before its object record.");
            }

            Objects[objectKey] = hash is { } versionHash
                ? index.WithVersion(new VersionEntry(key, versionHash, tag, id))
                : index.WithoutVersion(version);
        }
    }
}
