using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>Catching a manifest up with what other instances committed, from the buckets they wrote (see <see cref="CatchUp"/>).</summary>
internal sealed partial class Manifest
{
    /// <summary>
    /// Works out the state that other instances' commits left, from the buckets written after this manifest's
    /// generation (<paramref name="written"/>, each checked against its MAC) and this manifest's own buckets, already
    /// authenticated, for the rest of the table: the change to <see cref="Apply(StagedManifest, bool)"/>, and the newest
    /// commit's key-encryption key version. The buckets must hash to <paramref name="root"/> at
    /// <paramref name="generation"/>, so a bucket the store left out, or an older copy of one, is never taken.
    /// </summary>
    /// <returns>
    /// Null when the state cannot be worked out this way: a bucket left out or replaced, a bucket that fails its checks,
    /// a record listed twice, an object without versions. The caller then loads every bucket (<see cref="Load"/>),
    /// which names the damage if there is any.
    /// </returns>
    /// <param name="written">The bucket rows written after this manifest's generation, as the store returned them.</param>
    /// <param name="documents">The SHA-256 of every bucket row the store holds, by id: each must be the document this
    /// manifest holds for that bucket, or the one just read, so that an edit to a row the catch-up does not read is found
    /// (null: not checked this time).</param>
    /// <param name="generation">The head's generation.</param>
    /// <param name="root">The head's manifest root.</param>
    /// <param name="keys">The keys the buckets' MACs are checked with.</param>
    public (StagedManifest Staged, int KekVersion)? CatchUp(IReadOnlyList<StoredRecord> written, IReadOnlyList<(long Id, byte[] Digest)>? documents, long generation, RecordHash root, MetadataKeys keys)
    {
        if (Generation == 0 || generation <= Generation || written.Count == 0)
        {
            return null;
        }

        var decoded = new SortedDictionary<int, LoadedBucket>();
        ManifestHead? latest = null;
        foreach (var record in written)
        {
            LoadedBucket bucket;
            try
            {
                bucket = LoadedBucket.Read(record, keys);
            }
            catch (VaultIntegrityException)
            {
                return null;
            }

            if (bucket.Head.Generation <= Generation || bucket.Head.Generation > generation || !decoded.TryAdd(bucket.Index, bucket))
            {
                return null;
            }

            if (latest is null || bucket.Head.Generation > latest.Value.Generation)
            {
                latest = bucket.Head;
            }
        }

        if (latest is not { } claim || claim.Generation != generation || !claim.Root.Equals(root)
            || claim.Level is < InitialLevel or > 24 || claim.Split < 0 || claim.Split >= 1 << claim.Level)
        {
            return null;
        }

        // The table the head describes: every bucket is either one just read or one this manifest holds.
        var count = claim.BucketCount;
        if (count < _buckets.Count || decoded.Keys.Any(b => b >= count) || Enumerable.Range(_buckets.Count, count - _buckets.Count).Any(b => !decoded.ContainsKey(b)))
        {
            return null;
        }

        var bucketHashes = decoded.ToDictionary(d => d.Key, d => d.Value.Hash);
        var touchedGroups = decoded.Keys.Select(b => b / GroupSize).ToHashSet();
        var groups = new List<RecordHash>((count + GroupSize - 1) / GroupSize);
        for (var g = 0; g * GroupSize < count; g++)
        {
            groups.Add(touchedGroups.Contains(g) || g >= _groupHashes.Count ? GroupHash(g, count, b => bucketHashes.TryGetValue(b, out var h) ? h : _bucketHashes[b]) : _groupHashes[g]);
        }

        if (!RootHash(count, claim.Level, claim.Split, groups).Equals(claim.Root))
        {
            return null;
        }

        // Every bucket row the store holds is the document read now or the one this manifest holds: nothing missing,
        // extra, older or edited among the rows not read.
        if (documents is not null && (documents.Count != count || _documentHashes.Count < _buckets.Count))
        {
            return null;
        }

        for (var b = 0; documents is not null && b < count; b++)
        {
            var (id, digest) = documents[b];
            var expected = decoded.TryGetValue(b, out var read) ? read.Document : _documentHashes[b];
            if (id != RecordIds.Bucket(b) || digest.Length != RecordHash.Size || !RecordHash.Read(digest).Equals(expected))
            {
                return null;
            }
        }

        // What the rewritten buckets listed before and list now.
        var before = new Dictionary<string, BucketEntry>(StringComparer.Ordinal);
        var after = new Dictionary<string, BucketEntry>(StringComparer.Ordinal);
        foreach (var (index, bucket) in decoded)
        {
            if (index < _buckets.Count)
            {
                foreach (var entry in _buckets[index].Entries)
                {
                    before[entry.Key] = entry;
                }
            }

            foreach (var entry in ManifestBucket.ReadEntries(bucket.Entries.Span, index))
            {
                if (!after.TryAdd(entry.Key, entry) || !Fits(entry))
                {
                    return null;
                }
            }
        }

        var delta = IndexDelta(before, after);
        if (delta is null)
        {
            return null;
        }

        var members = decoded.ToDictionary(d => d.Key, d => BucketMembers.Stored(d.Value.Entries, d.Key, d.Value.Count));
        var lengths = decoded.ToDictionary(d => d.Key, d => d.Value.Entries.ToArray());
        var documentHashes = decoded.ToDictionary(d => d.Key, d => d.Value.Document);
        var staged = new StagedManifest(claim.Generation, claim.Root, claim.Level, claim.Split, _entries - before.Count + after.Count,
            delta.Value.Objects, delta.Value.Others, members, lengths, bucketHashes, groups, _bucketKey) { Base = (Generation, _root), DocumentHashes = documentHashes };
        return (staged, claim.KekVersion);
    }

    /// <summary>
    /// A read-only manifest at the caught-up state for the records other than objects and versions (the header, the
    /// key-encryption keys, settings): what a catch-up reads through before the state is applied. It holds no objects,
    /// and a look-up of one throws rather than find nothing.
    /// </summary>
    public Manifest OthersAt(StagedManifest staged)
    {
        var view = new Manifest(_bucketKey) { _generation = staged.Generation, _root = staged.Root, _othersOnly = true };
        view._others = new System.Collections.Concurrent.ConcurrentDictionary<string, Entry>(_others, StringComparer.Ordinal);
        foreach (var (key, entry) in staged.Others)
        {
            if (entry is { } e)
            {
                view._others[key] = e;
            }
            else
            {
                view._others.TryRemove(key, out _);
            }
        }

        return view;
    }

    /// <summary>Whether an entry's kind agrees with its key, and its id with where such a record is kept (as <see cref="Load"/> checks).</summary>
    private static bool Fits(BucketEntry entry)
    {
        if (RecordIds.Fixed(entry.Key) is { } fixedId ? entry.Id != fixedId : entry.Id < RecordIds.Record(1, 0))
        {
            return false;
        }

        var isObject = RecordKeys.TryParseObject(entry.Key, out _, out _, out var version);
        return entry.Kind == (!isObject ? ManifestBucket.OtherEntry : version is null ? ManifestBucket.ObjectEntry : ManifestBucket.VersionEntry);
    }

    /// <summary>
    /// The object indexes and other entries that change when the rewritten buckets go from <paramref name="before"/> to
    /// <paramref name="after"/>; null when the result would not be a consistent manifest (a record also listed in a bucket
    /// that was not rewritten, a version without its object, an object without versions, two versions with one sequence).
    /// </summary>
    private (Dictionary<string, ObjectIndex?> Objects, Dictionary<string, Entry?> Others)? IndexDelta(Dictionary<string, BucketEntry> before, Dictionary<string, BucketEntry> after)
    {
        var objects = new Dictionary<string, ObjectIndex?>(StringComparer.Ordinal);
        var others = new Dictionary<string, Entry?>(StringComparer.Ordinal);
        ObjectIndex? IndexOf(ObjectType type, string name, string objectKey) =>
            objects.TryGetValue(objectKey, out var staged) ? staged : _objects[(int)type].TryGetValue(name, out var index) ? index : null;

        foreach (var key in after.Keys)
        {
            if (!before.ContainsKey(key) && TryGetEntry(key, out _))
            {
                return null; // listed in a bucket that was not rewritten as well
            }
        }

        var changed = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var was) || !after.TryGetValue(k, out var now) || was != now).ToList();

        // Objects made or changed first, then versions, then objects removed (as a commit orders them).
        foreach (var pass in new[] { 0, 1, 2 })
        {
            foreach (var key in changed)
            {
                var isObject = RecordKeys.TryParseObject(key, out var type, out var name, out var version);
                var present = after.TryGetValue(key, out var entry);
                if (!isObject)
                {
                    if (pass == 1)
                    {
                        others[key] = present ? new Entry(entry.Hash, entry.Id) : null;
                    }

                    continue;
                }

                var objectKey = RecordKeys.Object(type, name);
                var index = IndexOf(type, name, objectKey);
                if (version is null && present && pass == 0)
                {
                    objects[objectKey] = index?.WithObject(entry.Hash, entry.Id) ?? ObjectIndex.Create(type, name, entry.Hash, entry.Id, []);
                }
                else if (version is not null && pass == 1)
                {
                    if (index is null)
                    {
                        return null;
                    }

                    objects[objectKey] = present ? index.WithVersion(new VersionEntry(key, entry.Hash, entry.Sequence, entry.Id)) : index.WithoutVersion(version);
                }
                else if (version is null && !present && pass == 2)
                {
                    if (index is { VersionCount: > 0 })
                    {
                        return null;
                    }

                    objects[objectKey] = null;
                }
            }
        }

        foreach (var index in objects.Values)
        {
            if (index is not null && (index.VersionCount == 0 || index.Versions.Select(v => v.Sequence).Distinct().Count() != index.VersionCount))
            {
                return null;
            }
        }

        return (objects, others);
    }
}
