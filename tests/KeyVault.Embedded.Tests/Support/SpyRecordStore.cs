using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Wraps a real record store and keeps every sealed payload it was handed, by version key.</summary>
internal sealed class SpyRecordStore(IRecordStore inner) : IRecordStore
{
    private readonly List<(string Key, byte[] Sealed)> _sealed = [];

    public IReadOnlyList<(string Key, byte[] Sealed)> Sealed => _sealed;

    public IRecordStore Inner => inner;

    public void EnableWrites() => inner.EnableWrites();

    public VaultHeader? ReadHeader() => inner.ReadHeader();

    public IReadOnlyList<KekRecord> ReadKeks() => inner.ReadKeks();

    public ObjectRecord? FindObject(string key) => inner.FindObject(key);

    public VersionRecord? FindVersion(string key) => inner.FindVersion(key);

    public IReadOnlyList<VersionRecord> FindVersions(string objectKey) => inner.FindVersions(objectKey);

    public IReadOnlyList<ObjectRecord> FindObjects(string keyPrefix) => inner.FindObjects(keyPrefix);

    public IReadOnlyList<(ObjectRecord Object, VersionRecord Current)> FindCurrent(string keyPrefix) => inner.FindCurrent(keyPrefix);

    public SettingRecord? ReadSetting(string key) => inner.ReadSetting(key);

    public IReadOnlyList<SettingRecord> ReadSettings(string keyPrefix) => inner.ReadSettings(keyPrefix);

    public bool IsEmpty() => inner.IsEmpty();

    /// <summary>When set, every write throws it (a full or failing disk) and nothing is written.</summary>
    public Exception? FailWrites { get; set; }

    public void Apply(WriteBatch batch)
    {
        if (FailWrites is { } failure)
        {
            throw failure;
        }

        inner.Apply(batch);
        _sealed.AddRange(batch.Versions.Select(v => (v.Key, v.Sealed)));
    }

    public void Dispose() => inner.Dispose();
}
