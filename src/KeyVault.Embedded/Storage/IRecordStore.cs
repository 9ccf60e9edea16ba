namespace KeyVault.Embedded.Storage;

/// <summary>
/// The seam between the vault and its storage. A store only ever receives sealed payloads and non-secret
/// metadata. A store is not thread-safe: the vault serialises every call.
/// </summary>
/// <remarks>
/// A store opens read-only: until <see cref="EnableWrites"/> it must leave its files exactly as they were,
/// so that a vault that fails a check at open (a wrong root key, an unknown format) changes nothing on disk.
/// </remarks>
internal interface IRecordStore : IDisposable
{
    /// <summary>Allows writes once the vault has verified the root key.</summary>
    void EnableWrites();

    VaultHeader? ReadHeader();

    IReadOnlyList<KekRecord> ReadKeks();

    /// <summary>An object with its current version (the one with the highest sequence), or null.</summary>
    ObjectRecord? FindObject(string key);

    VersionRecord? FindVersion(string key);

    IReadOnlyList<VersionRecord> FindVersions(string objectKey);

    /// <summary>Every object whose key starts with <paramref name="keyPrefix"/>, each with its current version.</summary>
    IReadOnlyList<ObjectRecord> FindObjects(string keyPrefix);

    /// <summary>
    /// Every object whose key starts with <paramref name="keyPrefix"/> with its current version record, read in one
    /// pass over each collection (listings and configuration loads: not one lookup per object).
    /// </summary>
    IReadOnlyList<(ObjectRecord Object, VersionRecord Current)> FindCurrent(string keyPrefix);

    SettingRecord? ReadSetting(string key);

    /// <summary>Every setting whose key starts with <paramref name="keyPrefix"/>.</summary>
    IReadOnlyList<SettingRecord> ReadSettings(string keyPrefix);

    /// <summary>True when the store holds nothing at all: only then may a vault be created in it.</summary>
    bool IsEmpty();

    /// <summary>Applies the batch atomically; it is on the physical disk when this returns.</summary>
    void Apply(WriteBatch batch);
}
