using LiteDB;

namespace KeyVault.Embedded.Storage.Legacy;

/// <summary>
/// The LiteDB layout of format 1 (the first release): one collection per kind of record (<c>meta</c>, <c>keks</c>,
/// <c>objects</c>, <c>versions</c>, <c>settings</c>), read once to upgrade a vault to format 2. Nothing read here is
/// trusted: <see cref="FormatOneUpgrade"/> checks each record with format 1's own authentication first.
/// </summary>
internal static class FormatOne
{
    public const string MetaCollection = "meta";
    private static readonly string[] Collections = [MetaCollection, "keks", "objects", "versions", "settings"];

    public static Content Read(LiteDatabase db)
    {
        var headerDoc = db.GetCollection(MetaCollection).FindById("header") ?? throw new InvalidDataException("a format-1 vault without a header");
        var header = new Header(
            headerDoc["format"].AsInt32,
            headerDoc["vaultId"].AsGuid,
            headerDoc["created"].AsInt64,
            headerDoc["retention"].AsInt32,
            headerDoc["purgeProtection"].AsBoolean,
            headerDoc["kek"].AsInt32,
            headerDoc["rootKind"].AsString,
            headerDoc["rootParams"].AsDocument.ToDictionary(p => p.Key, p => p.Value.AsString, StringComparer.Ordinal),
            Bytes(headerDoc["mac"]));
        var keks = db.GetCollection("keks").FindAll()
            .Select(d => new Kek(d["_id"].AsInt32, d["wrapped"].AsBinary, d["created"].AsInt64)).ToList();
        var objects = db.GetCollection("objects").FindAll().Select(d => new Object(
            d["_id"].AsString,
            d["type"].AsInt32,
            d["name"].AsString,
            d["created"].AsInt64,
            d["deleted"].IsNull ? null : d["deleted"].AsInt64,
            d["purge"].IsNull ? null : d["purge"].AsInt64,
            d["policy"].IsNull ? null : d["policy"].AsString,
            Bytes(d["mac"]),
            d["managedBy"].IsNull ? null : d["managedBy"].AsString)).ToList();
        var versions = db.GetCollection("versions").FindAll()
            .Select(d => new Version(d["_id"].AsString, d["seq"].AsInt64, d["attrs"].AsBinary, d["sealed"].AsBinary)).ToList();
        var settings = db.GetCollection("settings").FindAll()
            .Select(d => new Setting(d["_id"].AsString, d["value"].AsString, Bytes(d["mac"]))).ToList();
        return new Content(header, keks, objects, versions, settings);
    }

    /// <summary>Removes every format-1 document (inside the caller's transaction, so the upgrade is all or nothing).</summary>
    public static void DeleteAll(LiteDatabase db)
    {
        foreach (var name in Collections)
        {
            db.GetCollection(name).DeleteAll();
        }
    }

    private static byte[]? Bytes(BsonValue value) => value.IsNull ? null : value.AsBinary;

    internal sealed record Content(Header Header, IReadOnlyList<Kek> Keks, IReadOnlyList<Object> Objects, IReadOnlyList<Version> Versions, IReadOnlyList<Setting> Settings);

    internal sealed record Header(int Format, Guid VaultId, long Created, int Retention, bool PurgeProtection, int Kek, string RootKind, IReadOnlyDictionary<string, string> RootParameters, byte[]? Mac);

    internal sealed record Kek(int Version, byte[] Wrapped, long Created);

    internal sealed record Object(string Key, int Type, string Name, long Created, long? Deleted, long? Purge, string? Policy, byte[]? Mac, string? ManagedBy);

    internal sealed record Version(string Key, long Sequence, byte[] Attributes, byte[] Sealed);

    internal sealed record Setting(string Key, string Value, byte[]? Mac);
}
