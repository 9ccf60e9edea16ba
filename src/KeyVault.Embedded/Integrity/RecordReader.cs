using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The one way records come out of storage: every read starts from what the authenticated manifest lists (its key and
/// hash), checks the stored bytes against it, and only then decodes. So a record that is missing, edited, moved or an
/// older copy is an integrity error, never a shorter list, a "not found" or other data; and what the manifest does not
/// list does not exist, whatever storage holds. Verified records are cached, still sealed.
/// </summary>
internal sealed class RecordReader
{
    /// <summary>Above this many records to fetch, a listing scans the type's key range once instead of looking each up.</summary>
    private const int ScanThreshold = 32;
    /// <summary>How often a read looks again when commits keep replacing the record it reads.</summary>
    private const int MaxAttempts = 8;
    private readonly Manifest _manifest;
    private readonly IRecordStore _store;
    private readonly RecordCache _cache;
    private readonly Func<bool> _faulted;
    private readonly Func<ValueTask> _settled;

    /// <param name="manifest">The authenticated manifest.</param>
    /// <param name="store">The raw store.</param>
    /// <param name="cache">Verified records, still sealed.</param>
    /// <param name="faulted">Whether a failed write left storage possibly ahead of the manifest.</param>
    /// <param name="settled">Completes when no commit is between storage and the manifest.</param>
    public RecordReader(Manifest manifest, IRecordStore store, RecordCache cache, Func<bool> faulted, Func<ValueTask> settled)
    {
        _manifest = manifest;
        _store = store;
        _cache = cache;
        _faulted = faulted;
        _settled = settled;
    }

    public Manifest Manifest => _manifest;

    public async ValueTask<ObjectRecord> ObjectAsync(ObjectIndex index, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGet<ObjectRecord>(index.Key, index.Hash, out var cached))
        {
            return cached;
        }

        var (record, hash, _) = await ReadCheckedAsync(index.Key, index.Hash, 0, null, cancellationToken).ConfigureAwait(false)
            ?? throw VaultErrors.NotFound(index.Type, index.Name);
        return DecodeObject(index.Key, hash, record);
    }

    public ValueTask<StoredVersion> VersionAsync(VersionEntry entry, CancellationToken cancellationToken = default) =>
        _cache.TryGet<StoredVersion>(entry.Key, entry.Hash, out var cached) ? ValueTask.FromResult(cached) : ReadVersionAsync(entry, cancellationToken);

    /// <summary>An object with one of its versions (the current one when <paramref name="entry"/> is null).</summary>
    public async ValueTask<ObjectVersion> ObjectVersionAsync(ObjectIndex index, VersionEntry? entry = null, CancellationToken cancellationToken = default)
    {
        var obj = await ObjectAsync(index, cancellationToken).ConfigureAwait(false);
        return new ObjectVersion(obj, await VersionAsync(entry ?? index.Current, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Each object with its current version (listings, configuration loads): what the cache lacks is fetched in one
    /// batch, and every record the manifest lists must come back.
    /// </summary>
    public async ValueTask<IReadOnlyList<ObjectVersion>> CurrentAsync(IReadOnlyList<ObjectIndex> indexes, string scanPrefix, CancellationToken cancellationToken = default)
    {
        var wanted = new List<(string Key, RecordHash Hash)>();
        foreach (var index in indexes)
        {
            if (!_cache.TryGet<ObjectRecord>(index.Key, index.Hash, out _))
            {
                wanted.Add((index.Key, index.Hash));
            }

            if (!_cache.TryGet<StoredVersion>(index.Current.Key, index.Current.Hash, out _))
            {
                wanted.Add((index.Current.Key, index.Current.Hash));
            }
        }

        var fetched = await FetchAsync(wanted, scanPrefix, cancellationToken).ConfigureAwait(false);
        var result = new List<ObjectVersion>(indexes.Count);
        foreach (var index in indexes)
        {
            var obj = fetched.TryGetValue(index.Key, out var objectRecord) ? DecodeObject(index.Key, index.Hash, objectRecord) : await ObjectAsync(index, cancellationToken).ConfigureAwait(false);
            var version = fetched.TryGetValue(index.Current.Key, out var versionRecord) ? DecodeVersion(index.Current.Key, index.Current.Hash, index.Current.Sequence, versionRecord) : await VersionAsync(index.Current, cancellationToken).ConfigureAwait(false);
            result.Add(new ObjectVersion(obj, version));
        }

        return result;
    }

    /// <summary>Every version of an object, oldest first.</summary>
    public async ValueTask<IReadOnlyList<StoredVersion>> VersionsAsync(ObjectIndex index, CancellationToken cancellationToken = default)
    {
        var wanted = index.Versions.Where(v => !_cache.TryGet<StoredVersion>(v.Key, v.Hash, out _)).Select(v => (v.Key, v.Hash)).ToList();
        var fetched = await FetchAsync(wanted, index.Key + "/", cancellationToken).ConfigureAwait(false);
        var result = new List<StoredVersion>(index.Versions.Length);
        foreach (var entry in index.Versions)
        {
            result.Add(fetched.TryGetValue(entry.Key, out var record) ? DecodeVersion(entry.Key, entry.Hash, entry.Sequence, record) : await VersionAsync(entry, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>A setting, or null when the manifest lists none of that name.</summary>
    public async ValueTask<SettingRecord?> SettingAsync(string name, CancellationToken cancellationToken = default)
    {
        var key = RecordKeys.Setting(name);
        if (!_manifest.TryGet(key, out var hash))
        {
            return null;
        }

        if (_cache.TryGet<SettingRecord>(key, hash, out var cached))
        {
            return cached;
        }

        if (await ReadCheckedAsync(key, hash, 0, null, cancellationToken).ConfigureAwait(false) is not var (record, current, _))
        {
            return null; // deleted by a commit since it was looked up
        }

        var setting = SettingRecord.Decode(record);
        _cache.Set(key, current, setting);
        return setting;
    }

    /// <summary>Every setting whose name starts with <paramref name="prefix"/>, in name order.</summary>
    public async ValueTask<IReadOnlyList<SettingRecord>> SettingsAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var result = new List<SettingRecord>();
        foreach (var key in _manifest.KeysWithPrefix(RecordKeys.Setting(prefix)))
        {
            if (await SettingAsync(key[RecordKeys.SettingPrefix.Length..], cancellationToken).ConfigureAwait(false) is { } setting)
            {
                result.Add(setting);
            }
        }

        return result;
    }

    /// <summary>A record other than an object or version (the header, a key-encryption key), checked against the manifest.</summary>
    public async ValueTask<VerifiedRecord> RecordAsync(string key, CancellationToken cancellationToken = default)
    {
        if (!_manifest.TryGet(key, out var hash))
        {
            throw new VaultIntegrityException($"The vault's manifest does not list the record '{key}', which every vault has: the file was altered.");
        }

        return (await ReadCheckedAsync(key, hash, 0, null, cancellationToken).ConfigureAwait(false))?.Record
            ?? throw new VaultIntegrityException($"The record '{key}', which every vault has, was removed.");
    }

    private async ValueTask<StoredVersion> ReadVersionAsync(VersionEntry entry, CancellationToken cancellationToken)
    {
        if (await ReadCheckedAsync(entry.Key, entry.Hash, entry.Sequence, null, cancellationToken).ConfigureAwait(false) is not var (record, hash, sequence))
        {
            RecordKeys.TryParseObject(entry.Key, out var type, out var name, out _);
            throw VaultErrors.NotFound(type, name); // purged by a commit since it was looked up
        }

        return DecodeVersion(entry.Key, hash, sequence, record);
    }

    /// <summary>
    /// Reads a record and checks it against the hash the caller looked up. A record can be replaced by a commit between
    /// the look-up and the read (an update, a re-seal): on a mismatch the read waits until no commit is half-way between
    /// storage and the manifest, and looks the record up again. Only bytes that disagree with what the manifest lists
    /// now are an integrity failure. Null when the record was removed meanwhile.
    /// </summary>
    private async ValueTask<(VerifiedRecord Record, RecordHash Hash, long Tag)?> ReadCheckedAsync(string key, RecordHash expected, long tag, byte[]? value, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            value ??= await _store.ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (VerifiedRecord.TryCheck(key, value, expected) is { } verified)
            {
                return (verified, expected, tag);
            }

            await _settled().ConfigureAwait(false);
            if (!_manifest.TryGetEntry(key, out var current, out var currentTag))
            {
                return null;
            }

            if (current.Equals(expected) || attempt >= MaxAttempts)
            {
                return (Check(key, value, expected), expected, tag);
            }

            (expected, tag, value) = (current, currentTag, null);
        }
    }

    private async ValueTask<Dictionary<string, VerifiedRecord>> FetchAsync(List<(string Key, RecordHash Hash)> wanted, string scanPrefix, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, VerifiedRecord>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return result;
        }

        var expected = wanted.ToDictionary(w => w.Key, w => w.Hash, StringComparer.Ordinal);
        if (wanted.Count > ScanThreshold)
        {
            foreach (var stored in await _store.ReadPrefixAsync(scanPrefix, cancellationToken).ConfigureAwait(false))
            {
                if (expected.TryGetValue(stored.Key, out var hash) && VerifiedRecord.TryCheck(stored.Key, stored.Value, hash) is { } verified)
                {
                    result[stored.Key] = verified;
                }
            }
        }

        // What a scan did not return (a damaged index can make a scan stop early) is looked up one by one; what is
        // still missing is reported as missing, never skipped.
        var missing = expected.Keys.Where(k => !result.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            var found = await _store.ReadManyAsync(missing, cancellationToken).ConfigureAwait(false);
            foreach (var key in missing)
            {
                if (VerifiedRecord.TryCheck(key, found.GetValueOrDefault(key), expected[key]) is { } verified)
                {
                    result[key] = verified;
                }

                // Anything else is read on its own (it may have been replaced by a commit since the listing began).
            }
        }

        return result;
    }

    private ObjectRecord DecodeObject(string key, RecordHash hash, VerifiedRecord record)
    {
        var obj = ObjectRecord.Decode(record);
        _cache.Set(key, hash, obj);
        return obj;
    }

    private StoredVersion DecodeVersion(string key, RecordHash hash, long sequence, VerifiedRecord record)
    {
        var version = StoredVersion.Decode(record, sequence);
        _cache.Set(key, hash, version);
        return version;
    }

    private VerifiedRecord Check(string key, byte[]? value, RecordHash expected)
    {
        try
        {
            return VerifiedRecord.Check(key, value, expected);
        }
        catch (VaultIntegrityException ex) when (_faulted())
        {
            // After a write that failed half-way, storage may hold a commit the vault never acknowledged.
            throw VaultErrors.StorageFailure("an earlier write did not complete, so what storage holds may differ from what the vault acknowledged; reopen the vault", ex);
        }
    }
}
