using LiteDB;
using LiteDB.Engine;

namespace KeyVault.Embedded.Benchmarks.Secrets;

/// <summary>
/// The baseline: LiteDB used directly, the way the vault uses it (direct mode, its own unbuffered file streams),
/// with the log fsynced after each commit, because LiteDB 5.0.21 does not do that itself.
/// </summary>
internal sealed class RawLiteDb : IDisposable
{
    private readonly FileStream _data;
    private readonly FileStream _log;
    private readonly LiteDatabase _db;

    public RawLiteDb(string path)
    {
        _data = Open(path);
        _log = Open(path + "-log");
        _db = new LiteDatabase(new LiteEngine(new EngineSettings { DataStream = _data, LogStream = _log, TempStream = new MemoryStream() }));
        Collection = _db.GetCollection("versions");
    }

    public ILiteCollection<BsonDocument> Collection { get; }

    /// <summary>One durable write: a transaction of one upsert, then fsync of the log.</summary>
    public void DurableUpsert(BsonDocument document)
    {
        _db.BeginTrans();
        Collection.Upsert(document);
        _db.Commit();
        _log.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        _db.Dispose();
        _log.Dispose();
        _data.Dispose();
    }

    private static FileStream Open(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 });
}
