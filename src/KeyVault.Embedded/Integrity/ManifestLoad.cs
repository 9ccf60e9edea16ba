using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>Reading a manifest back from storage, every bucket checked (see <see cref="Load"/>).</summary>
/// <remarks>
/// An open reads every entry (200,000 for a vault of 100,000 secrets), so the work is spread over the processors in
/// three passes: every bucket checked and hashed; the buckets' entries read, a range of buckets per worker, into
/// objects, versions and other records; then each worker's objects given their versions and indexed. Buckets stay in
/// their stored form (only a commit that changes one parses it again).
/// </remarks>
internal sealed partial class Manifest
{
    /// <summary>
    /// Rebuilds the manifest from its stored buckets, each checked against its MAC, and checks that they are exactly the
    /// table the newest one describes and hash to the root it carries. Returns the newest commit's key-encryption key
    /// version.
    /// </summary>
    /// <exception cref="VaultIntegrityException">
    /// A bucket is malformed, fails its MAC, is missing or extra, or lists a record twice; or the buckets are not all of one commit's state.
    /// </exception>
    /// <summary>
    /// <see cref="Parallel.For(int, int, Action{int})"/>, throwing what the body threw (the vault's typed error) rather
    /// than the <see cref="AggregateException"/> that wraps it.
    /// </summary>
    private static void InParallel(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, body);
        }
        catch (AggregateException ex)
        {
            var inner = ex.Flatten().InnerExceptions;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner.FirstOrDefault(e => e is VaultException) ?? inner[0]);
        }
    }

    public static (Manifest Manifest, int KekVersion) Load(IReadOnlyList<StoredRecord> stored, MetadataKeys keys)
    {
        var decoded = new LoadedBucket[stored.Count];
        InParallel(stored.Count, i => decoded[i] = LoadedBucket.Read(stored[i], keys));
        var buckets = new LoadedBucket[decoded.Length];
        ManifestHead? latest = null;
        var total = 0;
        foreach (var bucket in decoded)
        {
            if (bucket.Index >= buckets.Length || buckets[bucket.Index] is not null)
            {
                throw Damaged($"bucket {bucket.Index} is stored twice, or beyond the table");
            }

            buckets[bucket.Index] = bucket;
            total += bucket.Count;
            if (latest is null || bucket.Head.Generation > latest.Value.Generation)
            {
                latest = bucket.Head;
            }
        }

        if (latest is not { } claim || claim.Generation < 1 || claim.Level is < InitialLevel or > 24 || claim.Split < 0 || claim.Split >= 1 << claim.Level)
        {
            throw Damaged("it has no readable buckets");
        }

        if (decoded.Length != claim.BucketCount)
        {
            throw Damaged($"its table has {claim.BucketCount} buckets and storage returned {decoded.Length} (one was removed, or an older copy put back)");
        }

        var manifest = new Manifest(keys.BucketKey);
        var parts = new LoadedPart[Math.Clamp(Math.Min(Environment.ProcessorCount, buckets.Length / 64), 1, 16)];
        InParallel(parts.Length, p => parts[p] = LoadedPart.Read(buckets, p * buckets.Length / parts.Length, (p + 1) * buckets.Length / parts.Length));
        InParallel(parts.Length, p => parts[p].Link(parts));
        for (var t = 0; t < manifest._objects.Length; t++)
        {
            var type = t;
            manifest._objects[t] = new ConcurrentDictionary<string, ObjectIndex>(Environment.ProcessorCount, Math.Max(31, parts.Sum(part => part.Count((ObjectType)type))), StringComparer.OrdinalIgnoreCase);
        }

        InParallel(parts.Length, p => parts[p].Index(parts, p, manifest._objects));
        foreach (var part in parts)
        {
            foreach (var (key, entry) in part.Others)
            {
                if (!manifest._others.TryAdd(key, entry))
                {
                    throw Damaged($"it lists the record '{key}' twice");
                }
            }
        }

        foreach (var bucket in buckets)
        {
            manifest._buckets.Add(BucketMembers.Stored(bucket.Entries, bucket.Index, bucket.Count));
            manifest._bucketHashes.Add(bucket.Hash);
            manifest._bucketLengths.Add(bucket.Entries.Length);
            manifest._documentHashes.Add(bucket.Document);
        }

        manifest._level = claim.Level;
        manifest._split = claim.Split;
        manifest._entries = total;
        for (var g = 0; g * GroupSize < claim.BucketCount; g++)
        {
            manifest._groupHashes.Add(GroupHash(g, claim.BucketCount, b => manifest._bucketHashes[b]));
        }

        manifest._root = RootHash(claim.BucketCount, claim.Level, claim.Split, manifest._groupHashes);
        if (!manifest._root.Equals(claim.Root))
        {
            throw Damaged("its buckets are not all of one commit (a bucket was replaced by an older copy)");
        }

        manifest._generation = claim.Generation;
        return (manifest, claim.KekVersion);
    }

    /// <summary>One stored bucket, checked (its MAC, its place, its form and key order), with its hash.</summary>
    private sealed record LoadedBucket(int Index, ManifestHead Head, ReadOnlyMemory<byte> Entries, int Count, RecordHash Hash, RecordHash Document)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static LoadedBucket Read(StoredRecord record, MetadataKeys keys)
        {
            var (index, head, entries) = ManifestBucket.Decode(record, keys);
            if (record.Id != RecordIds.Bucket(index))
            {
                throw Damaged($"bucket {index} is stored in another bucket's place");
            }

            return new LoadedBucket(index, head, entries, ManifestBucket.Check(entries.Span, index), BucketHash(index, entries.Span), RecordHash.Digest(record.Value));
        }
    }

    /// <summary>The entries of a range of buckets: objects, versions, other records; then the versions' owners; then indexes.</summary>
    private sealed class LoadedPart
    {
        private readonly List<(ObjectType Type, string Key, string Name, RecordHash Hash, long Id)> _objects = [];
        private readonly Dictionary<string, int> _objectAt = new(StringComparer.Ordinal);
        private readonly List<(int ObjectKeyLength, VersionEntry Entry)> _versions = [];

        /// <summary>Per part that owns them: the versions of this part that belong to its objects, as (object, version) pairs.</summary>
        private List<(int Object, int Version)>[] _found = [];

        public List<(string Key, Entry Entry)> Others { get; } = [];

        /// <summary>How many of this part's objects are of <paramref name="type"/>.</summary>
        public int Count(ObjectType type) => _objects.Count(o => o.Type == type);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static LoadedPart Read(LoadedBucket[] buckets, int from, int to)
        {
            var part = new LoadedPart();
            for (var b = from; b < to; b++)
            {
                var bucket = buckets[b];
                var entries = bucket.Entries.Span;
                for (var at = 0; at < entries.Length;)
                {
                    var raw = ManifestBucket.Next(entries, ref at, bucket.Index);
                    var key = Encoding.ASCII.GetString(raw.Key);
                    if (RecordIds.Fixed(key) is { } fixedId ? raw.Id != fixedId : raw.Id < RecordIds.Record(1, 0))
                    {
                        throw Damaged($"it places the record '{key}' at id {raw.Id}, where no such record is kept");
                    }

                    var shape = RecordKeys.Shape(key, out var type, out var objectKeyLength);
                    switch (raw.Kind)
                    {
                        case ManifestBucket.ObjectEntry when shape == KeyShape.Object:
                            if (!part._objectAt.TryAdd(key, part._objects.Count))
                            {
                                throw Damaged($"it lists the record '{key}' twice");
                            }

                            part._objects.Add((type, key, key[(type.PathSegment().Length + 1)..], raw.Hash, raw.Id));
                            break;
                        case ManifestBucket.VersionEntry when shape == KeyShape.Version:
                            part._versions.Add((objectKeyLength, new VersionEntry(key, raw.Hash, raw.Sequence, raw.Id)));
                            break;
                        case ManifestBucket.OtherEntry when shape == KeyShape.Other:
                            part.Others.Add((key, new Entry(raw.Hash, raw.Id)));
                            break;
                        default:
                            throw Damaged($"bucket {bucket.Index} has an entry of the wrong kind for '{key}'");
                    }
                }
            }

            return part;
        }

        /// <summary>Finds the object of each of this part's versions, in whichever part lists it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Link(LoadedPart[] parts)
        {
            var lookups = parts.Select(p => p._objectAt.GetAlternateLookup<ReadOnlySpan<char>>()).ToArray();
            _found = parts.Select(_ => new List<(int, int)>()).ToArray();
            for (var v = 0; v < _versions.Count; v++)
            {
                var (objectKeyLength, entry) = _versions[v];
                var objectKey = entry.Key.AsSpan(0, objectKeyLength);
                var found = false;
                for (var p = 0; p < parts.Length && !found; p++)
                {
                    if (lookups[p].TryGetValue(objectKey, out var owner))
                    {
                        _found[p].Add((owner, v));
                        found = true;
                    }
                }

                if (!found)
                {
                    throw Damaged($"it lists the version '{entry.Key}' of an object it does not list");
                }
            }
        }

        /// <summary>Gives each of this part's objects its versions (in sequence order) and indexes it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Index(LoadedPart[] parts, int me, ConcurrentDictionary<string, ObjectIndex>[] indexes)
        {
            var first = new int[_objects.Count];
            var counts = new int[_objects.Count];
            Array.Fill(first, -1);
            var links = new List<(int Part, int Version)>();
            var next = new List<int>();
            for (var p = 0; p < parts.Length; p++)
            {
                foreach (var (owner, version) in parts[p]._found[me])
                {
                    next.Add(first[owner]);
                    first[owner] = links.Count;
                    links.Add((p, version));
                    counts[owner]++;
                }
            }

            for (var i = 0; i < _objects.Count; i++)
            {
                var (type, key, name, hash, id) = _objects[i];
                if (counts[i] == 0)
                {
                    throw Damaged($"it lists object '{key}' without any version");
                }

                var ordered = new VersionEntry[counts[i]];
                for (int l = first[i], n = 0; l >= 0; l = next[l])
                {
                    ordered[n++] = parts[links[l].Part]._versions[links[l].Version].Entry;
                }

                if (ordered.Length > 1)
                {
                    Array.Sort(ordered, static (a, b) => a.Sequence.CompareTo(b.Sequence));
                    CheckDistinct(key, ordered);
                }

                if (!indexes[(int)type].TryAdd(name, ObjectIndex.FromOrdered(type, key, name, hash, id, ordered)))
                {
                    throw Damaged($"it lists the object '{key}' twice");
                }
            }
        }

        /// <summary>Two versions of one object never share a sequence number or a version id.</summary>
        private static void CheckDistinct(string key, VersionEntry[] ordered)
        {
            var seen = new HashSet<string>(ordered.Length, StringComparer.Ordinal);
            for (var v = 0; v < ordered.Length; v++)
            {
                if ((v > 0 && ordered[v].Sequence == ordered[v - 1].Sequence) || !seen.Add(ordered[v].Version))
                {
                    throw Damaged($"it lists two versions of '{key}' with one sequence number or one version id");
                }
            }
        }
    }
}
