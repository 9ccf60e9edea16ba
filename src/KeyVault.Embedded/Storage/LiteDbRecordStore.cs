using System.Globalization;
using KeyVault.Embedded.Lifecycle;
using LiteDB;
using LiteDB.Engine;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The record store on one LiteDB file (plus its write-ahead log), in direct mode, owned by one vault.
/// </summary>
/// <remarks>
/// <para>Durability: LiteDB 5.0.21 appends a commit's pages to the log with plain writes and never flushes
/// them. <see cref="Apply"/> therefore fsyncs the log after the commit returns; LiteDB's own checkpoints
/// fsync the data file through <see cref="VaultFileStream.Flush"/> before truncating the log.</para>
/// <para>Shredding: LiteDB zero-fills a deleted document's bytes inside its page, but older copies of the
/// page stay in the log until a checkpoint copies the latest copy into the data file and truncates the log.
/// A batch marked <see cref="WriteBatch.Shred"/> is therefore followed by a checkpoint.</para>
/// <para>Hot paths use <c>FindById</c> (measured 10-40x faster here than LINQ or <c>Query.EQ</c>).</para>
/// </remarks>
internal sealed class LiteDbRecordStore : IRecordStore
{
    private const string MetaCollection = "meta";
    private const string KekCollection = "keks";
    private const string ObjectCollection = "objects";
    private const string VersionCollection = "versions";
    private const string SettingCollection = "settings";
    private const string HeaderId = "header";

    // Ordinal, culture-free comparison of keys: the file must sort the same whatever the host's culture.
    private static readonly Collation KeyCollation = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    private readonly VaultFileStream _data;
    private readonly VaultFileStream _log;
    private readonly IReadOnlyList<string> _createdFiles;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _meta;
    private readonly ILiteCollection<BsonDocument> _keks;
    private readonly ILiteCollection<BsonDocument> _objects;
    private readonly ILiteCollection<BsonDocument> _versions;
    private readonly ILiteCollection<BsonDocument> _settings;

    private bool _applied;

    private LiteDbRecordStore(VaultFileStream data, VaultFileStream log, IReadOnlyList<string> createdFiles)
    {
        _data = data;
        _log = log;
        _createdFiles = createdFiles;
        var settings = new EngineSettings
        {
            DataStream = data,
            LogStream = log,
            TempStream = new MemoryStream(),
            AutoRebuild = false,
            Collation = data.Length == 0 ? KeyCollation : null,
        };
        _db = new LiteDatabase(new LiteEngine(settings), disposeOnClose: true);
        _meta = _db.GetCollection(MetaCollection);
        _keks = _db.GetCollection(KekCollection);
        _objects = _db.GetCollection(ObjectCollection);
        _versions = _db.GetCollection(VersionCollection);
        _settings = _db.GetCollection(SettingCollection);
    }

    /// <summary>
    /// Opens (creating when missing) the vault file at <paramref name="path"/> and its log
    /// (<c>name-log.ext</c>, LiteDB's convention), each locked with <see cref="FileShare.None"/>.
    /// </summary>
    /// <param name="path">The vault file.</param>
    /// <param name="streamFactory">Test seam: wraps each opened file (data, then log) in a <see cref="VaultFileStream"/>.</param>
    /// <exception cref="VaultException"><c>VaultInUse</c> when another owner holds either file.</exception>
    public static LiteDbRecordStore Open(string path, Func<FileStream, bool, VaultFileStream>? streamFactory = null)
    {
        streamFactory ??= static (file, writable) => new VaultFileStream(file, writable);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        CreateDirectoryDurably(directory);
        var logPath = LogPath(fullPath);
        var created = new List<string>();
        FileStream? dataFile = null;
        FileStream? logFile = null;
        try
        {
            dataFile = OpenLocked(fullPath, created);
            logFile = OpenLocked(logPath, created);
            if (created.Count > 0)
            {
                // A new file's directory entry is durable only once the directory itself is flushed.
                DirectorySync.Flush(directory);
            }

            // Shorter than one page: LiteDB's first header write was cut off, so nothing was ever committed here.
            var isNew = dataFile.Length < VaultFileStream.PageSize;
            var data = streamFactory(dataFile, isNew);
            var log = streamFactory(logFile, isNew);
            try
            {
                return new LiteDbRecordStore(data, log, created);
            }
            catch (Exception ex) when (ex is LiteException or InvalidOperationException or InvalidCastException)
            {
                throw VaultErrors.FormatInvalid(fullPath, "the file is not a readable LiteDB vault file", ex);
            }
        }
        catch
        {
            logFile?.Dispose();
            dataFile?.Dispose();
            DeleteFiles(created);
            throw;
        }
    }

    /// <summary>LiteDB's naming of the log beside a data file: <c>vault.db</c> has <c>vault-log.db</c>.</summary>
    public static string LogPath(string dataPath)
    {
        var directory = Path.GetDirectoryName(dataPath) ?? string.Empty;
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));
    }

    private static void CreateDirectoryDurably(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        var parent = Path.GetDirectoryName(directory);
        if (parent is not null)
        {
            CreateDirectoryDurably(parent);
        }

        Directory.CreateDirectory(directory);
        if (parent is not null)
        {
            DirectorySync.Flush(parent);
        }
    }

    private static FileStream OpenLocked(string path, List<string> created)
    {
        var existed = File.Exists(path);
        try
        {
            var file = new FileStream(path, OwnerOnlyFile.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.RandomAccess));
            if (!existed)
            {
                created.Add(path);
            }

            return file;
        }
        catch (IOException ex) when (IsLockConflict(ex))
        {
            throw VaultErrors.InUse(path, ex);
        }
    }

    // FileShare.None is an flock(LOCK_EX | LOCK_NB) on Unix, which fails with EWOULDBLOCK (11); Windows reports a
    // sharing (0x20) or lock (0x21) violation.
    private static bool IsLockConflict(IOException ex) =>
        ex.HResult is 11 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private static void DeleteFiles(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            File.Delete(path);
        }
    }

    public void EnableWrites()
    {
        _data.AllowWrites();
        _log.AllowWrites();
    }

    public VaultHeader? ReadHeader()
    {
        var doc = _meta.FindById(HeaderId);
        if (doc is null)
        {
            return null;
        }

        var rootParameters = doc["rootParams"].AsDocument.ToDictionary(p => p.Key, p => p.Value.AsString, StringComparer.Ordinal);
        return new VaultHeader(
            doc["format"].AsInt32,
            doc["vaultId"].AsGuid,
            doc["created"].AsInt64,
            doc["retention"].AsInt32,
            doc["purgeProtection"].AsBoolean,
            doc["kek"].AsInt32,
            new RootDescriptor(doc["rootKind"].AsString, rootParameters),
            doc["mac"].IsNull ? null : doc["mac"].AsBinary);
    }

    public IReadOnlyList<KekRecord> ReadKeks() =>
        _keks.FindAll().Select(d => new KekRecord(d["_id"].AsInt32, d["wrapped"].AsBinary, d["created"].AsInt64)).ToList();

    public ObjectRecord? FindObject(string key)
    {
        var doc = _objects.FindById(key);
        return doc is null
            ? null
            : WithCurrentVersion(doc, LatestVersions(key + "/")) ?? throw new VaultIntegrityException($"The object record '{key}' has no versions: the file was altered.");
    }

    public VersionRecord? FindVersion(string key) => ToVersion(_versions.FindById(key));

    public IReadOnlyList<VersionRecord> FindVersions(string objectKey) =>
        _versions.Find(Query.StartsWith("_id", objectKey + "/")).Select(d => ToVersion(d)!).ToList();

    public IReadOnlyList<ObjectRecord> FindObjects(string keyPrefix)
    {
        var latest = LatestVersions(keyPrefix);
        // An object left without versions (a damaged file) is skipped here, so one bad record does not hide the rest;
        // reading it by name reports the damage.
        return _objects.Find(Query.StartsWith("_id", keyPrefix)).Select(d => WithCurrentVersion(d, latest)).OfType<ObjectRecord>().ToList();
    }

    public IReadOnlyList<(ObjectRecord Object, VersionRecord Current)> FindCurrent(string keyPrefix)
    {
        var latest = new Dictionary<string, BsonDocument>(StringComparer.Ordinal);
        foreach (var doc in _versions.Find(Query.StartsWith("_id", keyPrefix)))
        {
            var key = doc["_id"].AsString;
            var objectKey = key[..key.LastIndexOf('/')];
            if (!latest.TryGetValue(objectKey, out var best) || doc["seq"].AsInt64 > best["seq"].AsInt64)
            {
                latest[objectKey] = doc;
            }
        }

        var sequences = latest.ToDictionary(p => p.Key, p => (Version: p.Value["_id"].AsString[(p.Key.Length + 1)..], Sequence: p.Value["seq"].AsInt64), StringComparer.Ordinal);
        var result = new List<(ObjectRecord, VersionRecord)>(latest.Count);
        foreach (var doc in _objects.Find(Query.StartsWith("_id", keyPrefix)))
        {
            // As in FindObjects, an object without versions (a damaged file) is skipped; reading it by name reports it.
            if (WithCurrentVersion(doc, sequences) is { } obj)
            {
                result.Add((obj, ToVersion(latest[obj.Key])!));
            }
        }

        return result;
    }

    public SettingRecord? ReadSetting(string key) => ToSetting(_settings.FindById(key));

    public IReadOnlyList<SettingRecord> ReadSettings(string keyPrefix) =>
        _settings.Find(Query.StartsWith("_id", keyPrefix)).Select(d => ToSetting(d)!).ToList();

    public bool IsEmpty() => !_db.GetCollectionNames().Any();

    public void Apply(WriteBatch batch)
    {
        _db.BeginTrans();
        try
        {
            if (batch.Header is { } header)
            {
                _meta.Upsert(ToDocument(header));
            }

            foreach (var kek in batch.Keks)
            {
                _keks.Upsert(new BsonDocument
                {
                    ["_id"] = kek.Version,
                    ["wrapped"] = kek.WrappedKey,
                    ["created"] = kek.CreatedOn,
                });
            }

            foreach (var key in batch.DeletedObjects)
            {
                _objects.Delete(key);
            }

            foreach (var objectKey in batch.DeletedVersionsOf)
            {
                _versions.DeleteMany(Query.StartsWith("_id", objectKey + "/"));
            }

            foreach (var obj in batch.Objects)
            {
                _objects.Upsert(ToDocument(obj));
            }

            foreach (var key in batch.DeletedSettings)
            {
                _settings.Delete(key);
            }

            foreach (var setting in batch.Settings)
            {
                _settings.Upsert(new BsonDocument { ["_id"] = setting.Key, ["value"] = setting.Value, ["mac"] = setting.Mac });
            }

            foreach (var version in batch.Versions)
            {
                _versions.Upsert(new BsonDocument
                {
                    ["_id"] = version.Key,
                    ["seq"] = version.Sequence,
                    ["attrs"] = version.Attributes,
                    ["sealed"] = version.Sealed,
                });
            }

            _db.Commit();
            _applied = true;
        }
        catch
        {
            _db.Rollback();
            throw;
        }

        // The commit is in the log but only in the page cache: make it durable before returning.
        _log.FlushToDisk();

        if (batch.Shred)
        {
            // Copy the latest page images (with the deleted bytes zero-filled) into the data file, fsync it,
            // and truncate the log that still holds the older images.
            _db.Checkpoint();
            _log.FlushToDisk();
        }
    }

    public void Dispose()
    {
        try
        {
            _db.Dispose();
            if (!_applied && !OperatingSystem.IsWindows())
            {
                // Files this open created but never committed to (a failed creation, or an empty log made while
                // opening with a wrong key) are removed, so a failed open leaves the folder as it found it. They are
                // unlinked while still locked, so no other opener can have started using them.
                DeleteFiles(_createdFiles);
            }
        }
        finally
        {
            _log.Dispose();
            _data.Dispose();
        }

        if (!_applied && OperatingSystem.IsWindows())
        {
            DeleteFiles(_createdFiles); // Windows cannot delete a file that is still open.
        }
    }

    private static BsonDocument ToDocument(VaultHeader header)
    {
        var rootParams = new BsonDocument();
        foreach (var (key, value) in header.Root.Parameters)
        {
            rootParams[key] = value;
        }

        return new BsonDocument
        {
            ["_id"] = HeaderId,
            ["format"] = header.FormatVersion,
            ["vaultId"] = header.VaultId,
            ["created"] = header.CreatedOn,
            ["retention"] = header.SoftDeleteRetentionDays,
            ["purgeProtection"] = header.PurgeProtection,
            ["kek"] = header.CurrentKekVersion,
            ["rootKind"] = header.Root.Kind,
            ["rootParams"] = rootParams,
            ["mac"] = header.Mac,
        };
    }

    private static BsonDocument ToDocument(ObjectRecord obj) => new()
    {
        ["_id"] = obj.Key,
        ["type"] = (int)obj.Type,
        ["name"] = obj.Name,
        ["created"] = obj.CreatedOn,
        ["deleted"] = obj.DeletedOn is { } d ? new BsonValue(d) : BsonValue.Null,
        ["purge"] = obj.ScheduledPurgeDate is { } p ? new BsonValue(p) : BsonValue.Null,
        ["policy"] = obj.Policy is { } policy ? new BsonValue(policy) : BsonValue.Null,
        ["mac"] = obj.Mac,
        ["managedBy"] = obj.ManagedBy is { } managedBy ? new BsonValue(managedBy) : BsonValue.Null,
    };

    /// <summary>For each object key under a prefix, its version with the highest sequence (reads keys and sequences only).</summary>
    private Dictionary<string, (string Version, long Sequence)> LatestVersions(string keyPrefix)
    {
        var latest = new Dictionary<string, (string Version, long Sequence)>(StringComparer.Ordinal);
        foreach (var doc in _versions.Query().Where(Query.StartsWith("_id", keyPrefix)).Select(LatestSelector).ToEnumerable())
        {
            var key = doc["_id"].AsString;
            var slash = key.LastIndexOf('/');
            var objectKey = key[..slash];
            var sequence = doc["seq"].AsInt64;
            if (!latest.TryGetValue(objectKey, out var best) || sequence > best.Sequence)
            {
                latest[objectKey] = (key[(slash + 1)..], sequence);
            }
        }

        return latest;
    }

    private static readonly BsonExpression LatestSelector = BsonExpression.Create("{ _id: $._id, seq: $.seq }");

    private static ObjectRecord? WithCurrentVersion(BsonDocument doc, Dictionary<string, (string Version, long Sequence)> latest)
    {
        var key = doc["_id"].AsString;
        if (!latest.TryGetValue(key, out var current))
        {
            return null;
        }

        return new ObjectRecord(
            key,
            (ObjectType)doc["type"].AsInt32,
            doc["name"].AsString,
            current.Version,
            doc["created"].AsInt64,
            doc["deleted"].IsNull ? null : doc["deleted"].AsInt64,
            doc["purge"].IsNull ? null : doc["purge"].AsInt64,
            current.Sequence,
            doc["policy"].IsNull ? null : doc["policy"].AsString,
            doc["mac"].IsNull ? null : doc["mac"].AsBinary,
            doc["managedBy"].IsNull ? null : doc["managedBy"].AsString);
    }

    private static SettingRecord? ToSetting(BsonDocument? doc) => doc is null
        ? null
        : new SettingRecord(doc["_id"].AsString, doc["value"].AsString, doc["mac"].IsNull ? null : doc["mac"].AsBinary);

    private static VersionRecord? ToVersion(BsonDocument? doc) => doc is null
        ? null
        : new VersionRecord(doc["_id"].AsString, doc["seq"].AsInt64, doc["attrs"].AsBinary, doc["sealed"].AsBinary);
}
