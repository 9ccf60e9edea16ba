using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The one way records come out of storage: every read starts from what the authenticated manifest lists (its key, id
/// and hash), checks the stored record against it, and only then decodes. So a record that is missing, edited, moved or an
/// older copy is an integrity error, never a shorter list, a "not found" or other data; and what the manifest does not
/// list does not exist, whatever storage holds. Verified records are cached, still sealed.
/// </summary>
internal sealed class RecordReader
{
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

        var (record, hash, _) = await ReadCheckedAsync(index.Key, new Listed(index.Hash, 0, index.Id), null, cancellationToken).ConfigureAwait(false)
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
    public async ValueTask<IReadOnlyList<ObjectVersion>> CurrentAsync(IReadOnlyList<ObjectIndex> indexes, CancellationToken cancellationToken = default)
    {
        var wanted = new List<(string Key, long Id, RecordHash Hash)>();
        foreach (var index in indexes)
        {
            if (!_cache.TryGet<ObjectRecord>(index.Key, index.Hash, out _))
            {
                wanted.Add((index.Key, index.Id, index.Hash));
            }

            if (!_cache.TryGet<StoredVersion>(index.Current.Key, index.Current.Hash, out _))
            {
                wanted.Add((index.Current.Key, index.Current.Id, index.Current.Hash));
            }
        }

        var fetched = await FetchAsync(wanted, cancellationToken).ConfigureAwait(false);
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
        var wanted = index.Versions.Where(v => !_cache.TryGet<StoredVersion>(v.Key, v.Hash, out _)).Select(v => (v.Key, v.Id, v.Hash)).ToList();
        var fetched = await FetchAsync(wanted, cancellationToken).ConfigureAwait(false);
        var result = new List<StoredVersion>(index.VersionCount);
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
        if (!_manifest.TryGet(key, out var listed))
        {
            return null;
        }

        if (_cache.TryGet<SettingRecord>(key, listed.Hash, out var cached))
        {
            return cached;
        }

        if (await ReadCheckedAsync(key, listed, null, cancellationToken).ConfigureAwait(false) is not var (record, current, _))
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
        if (!_manifest.TryGet(key, out var listed))
        {
            throw new VaultIntegrityException($"The vault's manifest does not list the record '{key}', which every vault has: the file was altered.");
        }

        return (await ReadCheckedAsync(key, listed, null, cancellationToken).ConfigureAwait(false))?.Record
            ?? throw new VaultIntegrityException($"The record '{key}', which every vault has, was removed.");
    }

    private async ValueTask<StoredVersion> ReadVersionAsync(VersionEntry entry, CancellationToken cancellationToken)
    {
        if (await ReadCheckedAsync(entry.Key, new Listed(entry.Hash, entry.Sequence, entry.Id), null, cancellationToken).ConfigureAwait(false) is not var (record, hash, sequence))
        {
            RecordKeys.TryParseObject(entry.Key, out var type, out var name, out _);
            throw VaultErrors.NotFound(type, name); // purged by a commit since it was looked up
        }

        return DecodeVersion(entry.Key, hash, sequence, record);
    }

    /// <summary>
    /// Reads a record and checks it against the hash the caller looked up. A record can be replaced by a commit between
    /// the look-up and the read (an update, a re-seal): on a mismatch the read waits until no commit is half-way between
    /// storage and the manifest, and looks the record up and reads it again (a few times: it may have changed and changed
    /// back). Only bytes that still disagree with what the manifest lists are an integrity failure. Null when the
    /// record was removed meanwhile.
    /// </summary>
    private async ValueTask<(VerifiedRecord Record, RecordHash Hash, long Tag)?> ReadCheckedAsync(string key, Listed expected, byte[]? value, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            value ??= Bytes(key, await _store.ReadAsync(expected.Id, cancellationToken).ConfigureAwait(false));
            if (VerifiedRecord.TryCheck(key, value, expected.Hash) is { } verified)
            {
                return (verified, expected.Hash, expected.Tag);
            }

            await _settled().ConfigureAwait(false);
            if (!_manifest.TryGetEntry(key, out var current))
            {
                return null;
            }

            if (attempt >= MaxAttempts)
            {
                return (Check(key, value, expected.Hash), expected.Hash, expected.Tag);
            }

            // Read again, also when the manifest lists what it listed before: the record may have been changed and
            // changed back meanwhile (a delete then a recover), so the bytes read were of the state in between.
            (expected, value) = (current, null);
        }
    }

    /// <summary>
    /// Fetches records in one batch: what comes back checked is returned; anything else (missing, or replaced by a
    /// commit since the listing began) is left for the caller to read on its own, which tells the two apart.
    /// </summary>
    private async ValueTask<Dictionary<string, VerifiedRecord>> FetchAsync(List<(string Key, long Id, RecordHash Hash)> wanted, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, VerifiedRecord>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return result;
        }

        var found = await _store.ReadManyAsync(wanted.Select(w => w.Id).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var (key, id, hash) in wanted)
        {
            if (VerifiedRecord.TryCheck(key, Bytes(key, found.GetValueOrDefault(id)), hash) is { } verified)
            {
                result[key] = verified;
            }
        }

        return result;
    }

    /// <summary>The bytes of a stored record when it is the one asked for (a store that hands out another record's is damaged).</summary>
    private static byte[]? Bytes(string key, StoredRecord? stored) =>
        stored is not null && string.Equals(stored.Key, key, StringComparison.Ordinal) ? stored.Value : null;

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
