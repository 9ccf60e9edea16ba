using System.Globalization;
using System.Runtime.ExceptionServices;
using KeyVault.Embedded.Storage.Legacy;
using LiteDB;
using LiteDB.Engine;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The record store on one LiteDB file (plus its write-ahead log), in direct mode, owned by one vault: every record is
/// a document <c>{ _id: id, k: key, v: bytes }</c> of one collection, indexed by id only.
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
    private const string KeyField = "k";
    private const string ValueField = "v";

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
            if (!hadData && dataFile.Length > 0)
            {
                RequireCutOffCreation(dataFile, fullPath);
            }

            if (hadData && !File.Exists(logPath) && new FileInfo(logPath).LinkTarget is null)
            {
                // The vault never deletes its log (a checkpoint empties it): a vault whose log is missing lost every
                // commit since the last checkpoint. A file that is not a vault at all is told apart first. A vault
                // never checkpointed holds no collection in its data file yet, only LiteDB's header: its page checksums
                // (written by the vault's first fsync, never by another application) say it was a vault all the same.
                var kind = Classify(dataFile, fullPath);
                if (kind == FileKind.Other && HasLiteDbSignature(dataFile) && File.Exists(DataFileStream.ChecksumPath(fullPath)))
                {
                    kind = FileKind.Vault;
                }

                throw kind switch
                {
                    FileKind.Vault => VaultErrors.LogMissing(fullPath, logPath),
                    FileKind.VaultWithoutHeader => VaultErrors.HeaderMissing(fullPath),
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

    /// <summary>
    /// A data file shorter than one page is taken as a new vault only when it is what a creation cut off inside
    /// LiteDB's first header write leaves: zeros, or the start of LiteDB's header, and no page checksums yet (the
    /// sidecar is written when the first page is flushed whole). Anything else is refused, and nothing is written: a
    /// short file of another application, or a vault cut short, is never replaced by a new vault.
    /// </summary>
    /// <exception cref="VaultException"><c>VaultFormatInvalid</c>, or <see cref="VaultIntegrityException"/> for a vault cut short.</exception>
    private static void RequireCutOffCreation(FileStream dataFile, string fullPath)
    {
        if (File.Exists(DataFileStream.ChecksumPath(fullPath)))
        {
            throw new VaultIntegrityException($"The vault file '{fullPath}' is {dataFile.Length} bytes, less than one page, though its first page was once written whole: it was cut short. Restore it from a backup; nothing was written.");
        }

        var bytes = new byte[dataFile.Length];
        dataFile.Position = 0;
        dataFile.ReadExactly(bytes);
        dataFile.Position = 0;
        if (!bytes.AsSpan().ContainsAnyExcept((byte)0) || HasLiteDbSignature(dataFile))
        {
            return;
        }

        throw VaultErrors.FormatInvalid(fullPath, "it is not a vault file (a short file of another application, or not LiteDB at all); nothing was written");
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
            if ((names.Contains(RecordCollection) && db.GetCollection(RecordCollection).FindById(Records.RecordIds.Header) is not null)
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

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(Guard($"record {id}", () => Record(_records.FindById(id), id)));
        }
    }

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<long, StoredRecord>(ids.Count);
        if (ids.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyDictionary<long, StoredRecord>>(result);
        }

        var wanted = ids.ToHashSet();
        lock (_sync)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A damaged index can hand out documents that were not asked for: only those asked for are returned.
            Guard($"{ids.Count} records", () =>
            {
                foreach (var document in _records.Find(Query.In("_id", new BsonArray(wanted.Select(id => new BsonValue(id))))).ToList())
                {
                    var record = Record(document, null)!;
                    if (wanted.Contains(record.Id))
                    {
                        result[record.Id] = record;
                    }
                }

                return true;
            });
        }

        return ValueTask.FromResult<IReadOnlyDictionary<long, StoredRecord>>(result);
    }

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            var records = Guard($"the records {first} to {last}", () => _records.Find(Query.Between("_id", first, last))
                .Select(d => Record(d, null)!)
                .Where(r => r.Id >= first && r.Id <= last)
                .OrderBy(r => r.Id)
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
                foreach (var id in commit.Deletes)
                {
                    _records.Delete(id);
                }

                foreach (var record in commit.Creates)
                {
                    Create(record);
                }

                foreach (var record in commit.Replaces)
                {
                    if (commit.Resized.Contains(record.Id))
                    {
                        // LiteDB grows a document in place by chaining blocks on other pages: a record rewritten often
                        // (a manifest bucket) would end up spread over many pages, each rewritten by every commit.
                        _records.Delete(record.Id);
                        _records.Insert(Document(record));
                    }
                    else if (!_records.Update(Document(record)))
                    {
                        _records.Insert(Document(record));
                    }
                }

                if (dropFormatOne)
                {
                    FormatOne.DeleteAll(_db);
                }

                _db.Commit();
            }
            catch (Exception ex)
            {
                try
                {
                    _db.Rollback();
                }
                catch (Exception rollback) when (rollback is not OutOfMemoryException)
                {
                    // LiteDB can fail to roll back after the failure itself (its state no longer validates): the failure
                    // that matters is the first one, and the vault refuses writes after either.
                    ExceptionDispatchInfo.Throw(ex);
                }

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

    private void Create(StoredRecord record)
    {
        try
        {
            _records.Insert(Document(record));
        }
        catch (LiteException ex) when (ex.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            // This store has one owner: a record at an id the manifest has not handed out was put there from outside.
            throw new StoreConflictException($"The record {record.Id} ('{record.Key}') exists already.") { Tampered = true };
        }
    }

    private static BsonDocument Document(StoredRecord record) => new() { ["_id"] = record.Id, [KeyField] = record.Key, [ValueField] = record.Value };

    /// <summary>A document as a record; a damaged index that hands out another document than <paramref name="id"/> is caught here.</summary>
    private static StoredRecord? Record(BsonDocument? document, long? id)
    {
        if (document is null)
        {
            return null;
        }

        var stored = document["_id"].IsInt64 ? document["_id"].AsInt64 : throw new InvalidCastException("a record without an id");
        if (id is { } expected && stored != expected)
        {
            throw new InvalidCastException("the index returned another record");
        }

        var key = document[KeyField].AsString ?? throw new InvalidCastException("a record without a key");
        var value = document[ValueField].AsBinary ?? throw new InvalidCastException("a record without bytes");
        return new StoredRecord(stored, key, value);
    }

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
