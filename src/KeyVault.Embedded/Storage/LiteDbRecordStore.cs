using System.Globalization;
using KeyVault.Embedded.Storage.Legacy;
using LiteDB;
using LiteDB.Engine;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The record store on one LiteDB file (plus its write-ahead log), in direct mode, owned by one vault: every record is
/// a document <c>{ _id: key, v: bytes }</c> of one collection.
/// </summary>
/// <remarks>
/// <para>Durability: LiteDB 5.0.21 appends a commit's pages to the log with plain writes and never flushes them.
/// <see cref="CommitAsync"/> therefore fsyncs the log after the commit returns; LiteDB's own checkpoints fsync the data
/// file through <see cref="VaultFileStream.Flush"/> before truncating the log.</para>
/// <para>Erasing: LiteDB zero-fills a deleted document's bytes inside its page, but older copies of the page stay in
/// the log until a checkpoint copies the latest copy into the data file and truncates the log. A commit marked
/// <see cref="StoreCommit.Erase"/> is therefore followed by a checkpoint.</para>
/// <para>Damage: LiteDB has no page checksums; a damaged page can make it throw anything, or silently return less. Every
/// read here turns a LiteDB failure into a typed error naming the record, and the vault checks what comes back
/// against its manifest, so "less" is caught above.</para>
/// <para>LiteDB is used from one thread at a time (a lock), and every query result is materialised inside it (known lock
/// leaks with enumerators finished elsewhere).</para>
/// </remarks>
internal sealed class LiteDbRecordStore : IRecordStore
{
    private const string RecordCollection = "records";
    private const string ValueField = "v";

    // Ordinal, culture-free comparison of keys: the file must sort the same whatever the host's culture.
    private static readonly Collation KeyCollation = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    private readonly Lock _sync = new();
    private readonly VaultFileStream _data;
    private readonly VaultFileStream _log;
    private readonly LogFileStream _logPages;
    private readonly IReadOnlyList<string> _createdFiles;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _records;
    private long? _generation;
    private bool _committed;

    private LiteDbRecordStore(string path, VaultFileStream data, VaultFileStream log, IReadOnlyList<string> createdFiles)
    {
        Location = path;
        _data = data;
        _log = log;
        _createdFiles = createdFiles;

        // LiteDB reads and writes through checksummed views of both files (see DataFileStream and LogFileStream).
        _logPages = new LogFileStream(log);
        var dataPages = DataFileStream.Open(data, path);
        dataPages.Overridden(_logPages.PageIds());
        var settings = new EngineSettings
        {
            DataStream = dataPages,
            LogStream = _logPages,
            TempStream = new MemoryStream(),
            AutoRebuild = false,
            Collation = data.Length == 0 ? KeyCollation : null,
        };
        _db = new LiteDatabase(new LiteEngine(settings), disposeOnClose: true);
        _records = _db.GetCollection(RecordCollection);
    }

    public string Location { get; }

    /// <summary>Whether the file holds a vault of format 1 (one collection per kind of record), which the vault upgrades.</summary>
    public bool HoldsFormatOne
    {
        get
        {
            lock (_sync)
            {
                return Guard("the collection list", () => _db.GetCollectionNames().Contains(FormatOne.MetaCollection) && _db.GetCollection(FormatOne.MetaCollection).FindById("header") is not null);
            }
        }
    }

    /// <summary>
    /// Opens (creating when missing) the vault file at <paramref name="path"/> and its log (<c>name-log.ext</c>,
    /// LiteDB's convention), each refused when it is a symbolic link, another user's, or open to others, and each locked.
    /// </summary>
    /// <param name="path">The vault file.</param>
    /// <param name="streamFactory">Test seam: wraps each opened file (data, then log) in a <see cref="VaultFileStream"/>.</param>
    /// <exception cref="VaultException"><c>VaultInUse</c> when another owner holds either file; <c>InsecureFile</c>; <c>VaultFormatInvalid</c>.</exception>
    public static LiteDbRecordStore Open(string path, Func<FileStream, string, bool, VaultFileStream>? streamFactory = null)
    {
        streamFactory ??= static (file, name, writable) => new VaultFileStream(file, name, writable);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        CreateDirectoryDurably(directory);
        var logPath = LogPath(fullPath);
        var created = new List<string>();
        FileStream? dataFile = null;
        FileStream? logFile = null;
        try
        {
            dataFile = SecureFile.OpenExclusive(fullPath, out var dataCreated);
            if (dataCreated)
            {
                created.Add(fullPath);
            }

            var hadData = dataFile.Length >= VaultFileStream.PageSize;
            if (hadData && !File.Exists(logPath) && new FileInfo(logPath).LinkTarget is null)
            {
                // The vault never deletes its log (a checkpoint empties it): a vault whose log is missing lost every
                // commit since the last checkpoint. A file that is not a vault at all is told apart first.
                throw Classify(dataFile, fullPath) switch
                {
                    FileKind.Vault => VaultErrors.LogMissing(fullPath, logPath),
                    FileKind.VaultWithoutHeader => VaultErrors.FormatInvalid(fullPath, "it holds data but no vault header (not a vault, or a damaged one); nothing was written"),
                    _ => VaultErrors.FormatInvalid(fullPath, "it is not a vault file (a LiteDB file of another application, or not LiteDB at all); nothing was written"),
                };
            }

            logFile = SecureFile.OpenExclusive(logPath, out var logCreated);
            if (logCreated)
            {
                created.Add(logPath);
            }

            if (!File.Exists(DataFileStream.ChecksumPath(fullPath)))
            {
                // Written by LiteDB's first fsync of a new file (or the first checkpoint of an old one): removed with the
                // rest when this open never commits.
                created.Add(DataFileStream.ChecksumPath(fullPath));
            }

            if (created.Count > 0)
            {
                // A new file's directory entry is durable only once the directory itself is flushed.
                DirectorySync.Flush(directory);
            }

            // Shorter than one page: LiteDB's first header write was cut off, so nothing was ever committed here.
            var isNew = !hadData;
            var liteDb = !isNew && HasLiteDbSignature(dataFile);
            var data = streamFactory(dataFile, fullPath, isNew);
            var log = streamFactory(logFile, logPath, isNew);
            try
            {
                return new LiteDbRecordStore(fullPath, data, log, created);
            }
            catch (Exception ex) when (ex is not VaultException and not OutOfMemoryException)
            {
                // LiteDB's own header says whether this was a LiteDB file: if so, it is damaged; if not, it is something else.
                throw liteDb
                    ? new VaultIntegrityException($"The vault file '{fullPath}' is damaged: LiteDB cannot open it ({ex.GetType().Name}). Restore it from a backup.", ex)
                    : VaultErrors.FormatInvalid(fullPath, $"the file is not a LiteDB vault file ({ex.GetType().Name})", ex);
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

    private static bool HasLiteDbSignature(FileStream dataFile)
    {
        try
        {
            // Compared byte by byte, not as a whole: a damaged header may have lost a few of the signature's bytes too.
            var signature = "** This is a LiteDB file **"u8;
            Span<byte> header = stackalloc byte[32 + 27];
            dataFile.Position = 0;
            var read = dataFile.Read(header);
            dataFile.Position = 0;
            if (read != header.Length)
            {
                return false;
            }

            var same = 0;
            for (var i = 0; i < signature.Length; i++)
            {
                same += header[32 + i] == signature[i] ? 1 : 0;
            }

            return same >= signature.Length - 6;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>What a data file (opened read-only, with a log in memory) holds: a vault of either format, a vault's records without a header, or something else.</summary>
    private static FileKind Classify(FileStream dataFile, string path)
    {
        try
        {
            using var db = new LiteDatabase(new LiteEngine(new EngineSettings
            {
                DataStream = DataFileStream.Open(new VaultFileStream(dataFile, path, writable: false), path),
                LogStream = new MemoryStream(),
                TempStream = new MemoryStream(),
                AutoRebuild = false,
            }), disposeOnClose: true);
            var names = db.GetCollectionNames().ToList();
            if ((names.Contains(RecordCollection) && db.GetCollection(RecordCollection).FindById(Records.RecordKeys.Header) is not null)
                || (names.Contains(FormatOne.MetaCollection) && db.GetCollection(FormatOne.MetaCollection).FindById("header") is not null))
            {
                return FileKind.Vault;
            }

            return names.Contains(RecordCollection) || names.Contains(FormatOne.MetaCollection) ? FileKind.VaultWithoutHeader : FileKind.Other;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not VaultIntegrityException)
        {
            return FileKind.Other;
        }
    }

    private enum FileKind
    {
        Other,
        Vault,
        VaultWithoutHeader,
    }

    /// <summary>LiteDB's naming of the log beside a data file: <c>vault.db</c> has <c>vault-log.db</c>.</summary>
    public static string LogPath(string dataPath)
    {
        var directory = Path.GetDirectoryName(dataPath) ?? string.Empty;
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));
    }

    public ValueTask<byte[]?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(Guard($"record '{key}'", () => Value(Find(key))));
        }
    }

    public ValueTask<IReadOnlyDictionary<string, byte[]>> ReadManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, byte[]>(keys.Count, StringComparer.Ordinal);
        lock (_sync)
        {
            foreach (var key in keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Guard($"record '{key}'", () => Value(Find(key))) is { } value)
                {
                    result[key] = value;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyDictionary<string, byte[]>>(result);
    }

    public ValueTask<IReadOnlyList<StoredRecord>> ReadPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            // A damaged index can hand out documents from outside the range: only what starts with the prefix is returned.
            var records = Guard($"the records under '{prefix}'", () => _records.Find(Query.StartsWith("_id", prefix))
                .Select(d => new StoredRecord(Key(d), Value(d) ?? throw new InvalidCastException("a record without bytes")))
                .Where(r => r.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToList());
            return ValueTask.FromResult<IReadOnlyList<StoredRecord>>(records);
        }
    }

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(Guard("the collection list", () => !_db.GetCollectionNames().Any()));
        }
    }

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (_generation is { } generation && commit.ExpectedGeneration != generation)
            {
                throw new StoreConflictException($"The commit expects generation {commit.ExpectedGeneration}; the file is at {generation}.");
            }

            Apply(commit, dropFormatOne: false);
            _generation = commit.Generation;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The records of a format-1 vault, as stored (nothing checked yet).</summary>
    public FormatOne.Content ReadFormatOne()
    {
        lock (_sync)
        {
            return Guard("the format-1 records", () => FormatOne.Read(_db));
        }
    }

    /// <summary>Writes the format-2 records of an upgraded vault and removes the format-1 collections, in one transaction.</summary>
    public void CommitUpgrade(StoreCommit commit)
    {
        lock (_sync)
        {
            Apply(commit, dropFormatOne: true);
            _generation = commit.Generation;
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            try
            {
                _db.Dispose();
                if (!_committed && !OperatingSystem.IsWindows())
                {
                    // Files this open created but never committed to (a failed creation, or an empty log made while
                    // opening with a wrong key) are removed, so a failed open leaves the folder as it found it. They are
                    // unlinked while still locked, so no other opener can have started using them.
                    DeleteFiles(_createdFiles);
                }
            }
            catch (Exception ex) when (ex is not VaultException && !_committed)
            {
                // A damaged file refused at open: LiteDB's disposal could not write anyway (the streams are read-only).
                _ = ex;
            }
            finally
            {
                _log.Dispose();
                _data.Dispose();
            }

            if (!_committed && OperatingSystem.IsWindows())
            {
                DeleteFiles(_createdFiles); // Windows cannot delete a file that is still open.
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Apply(StoreCommit commit, bool dropFormatOne)
    {
        _data.AllowWrites();
        _log.AllowWrites();
        try
        {
            _db.BeginTrans();
            try
            {
                foreach (var record in commit.Inserts)
                {
                    if (_records.FindById(record.Key) is not null)
                    {
                        throw new StoreConflictException($"The record '{record.Key}' exists already and is never replaced.");
                    }

                    _records.Insert(Document(record));
                }

                foreach (var key in commit.Deletes)
                {
                    _records.Delete(key);
                }

                foreach (var record in commit.Puts)
                {
                    _records.Upsert(Document(record));
                }

                if (dropFormatOne)
                {
                    FormatOne.DeleteAll(_db);
                }

                _db.Commit();
            }
            catch
            {
                _db.Rollback();
                throw;
            }

            _committed = true;

            // The commit is in the log but only in the page cache: make it durable before returning.
            _logPages.FlushToDisk();
            if (commit.Erase || dropFormatOne)
            {
                // Copy the latest page images (with the deleted bytes zero-filled) into the data file, fsync it,
                // and truncate the log that still holds the older images.
                _db.Checkpoint();
                _logPages.FlushToDisk();
            }
        }
        catch (Exception ex) when (ex is not StoreConflictException and not VaultException)
        {
            if (_data.DiskFull || _log.DiskFull || VaultFileStream.IsDiskFull(ex))
            {
                throw VaultErrors.StorageFull(Location, ex);
            }

            throw;
        }
    }

    /// <summary>The document stored at a key; a damaged index that hands out another document is caught here.</summary>
    private BsonDocument? Find(string key)
    {
        var document = _records.FindById(key);
        return document is null || string.Equals(Key(document), key, StringComparison.Ordinal) ? document : throw new InvalidCastException("the index returned another record");
    }

    private static BsonDocument Document(StoredRecord record) => new() { ["_id"] = record.Key, [ValueField] = record.Value };

    private static byte[]? Value(BsonDocument? document) => document is null ? null : document[ValueField].AsBinary ?? throw new InvalidCastException("a record without bytes");

    private static string Key(BsonDocument document) => document["_id"].AsString ?? throw new InvalidCastException("a record without a key");

    /// <summary>Runs a LiteDB read; whatever a damaged file makes LiteDB throw becomes a typed error naming what was read.</summary>
    private T Guard<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not VaultException and not OperationCanceledException and not OutOfMemoryException)
        {
            if (ex is IOException or UnauthorizedAccessException)
            {
                throw VaultErrors.StorageFailure($"reading {what} from '{Location}' failed ({ex.GetType().Name})", ex);
            }

            throw new VaultIntegrityException($"The vault file '{Location}' is damaged: reading {what} failed ({ex.GetType().Name}). Restore it from a backup.", ex);
        }
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

    private static void DeleteFiles(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
    }
}
