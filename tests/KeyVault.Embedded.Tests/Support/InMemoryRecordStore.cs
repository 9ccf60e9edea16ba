using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// A record store in memory that outlives the vaults opened on it, so tests can edit records "on disk" between
/// opens, and that keeps every byte it was ever given (a spy for the "storage sees only sealed bytes" rule).
/// </summary>
internal sealed class InMemoryRecordStore : IRecordStore
{
    private readonly List<byte[]> _received = [];

    public VaultHeader? Header { get; set; }

    public Dictionary<int, KekRecord> Keks { get; } = [];

    public Dictionary<string, ObjectRecord> Objects { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, VersionRecord> Versions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SettingRecord> Settings { get; } = new(StringComparer.Ordinal);

    public bool WritesEnabled { get; private set; }

    public int Applied { get; private set; }

    /// <summary>Every byte array and string (as UTF-8) this store was handed in a batch.</summary>
    public IReadOnlyList<byte[]> Received => _received;

    public void EnableWrites() => WritesEnabled = true;

    public VaultHeader? ReadHeader() => Header;

    public IReadOnlyList<KekRecord> ReadKeks() => Keks.Values.ToList();

    public ObjectRecord? FindObject(string key) => Objects.TryGetValue(key, out var obj) ? WithCurrentVersion(obj) : null;

    public VersionRecord? FindVersion(string key) => Versions.GetValueOrDefault(key);

    public IReadOnlyList<VersionRecord> FindVersions(string objectKey) =>
        Versions.Values.Where(v => v.Key.StartsWith(objectKey + "/", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<ObjectRecord> FindObjects(string keyPrefix) =>
        Objects.Values.Where(o => o.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).Select(WithCurrentVersion).ToList();

    public IReadOnlyList<(ObjectRecord Object, VersionRecord Current)> FindCurrent(string keyPrefix) =>
        FindObjects(keyPrefix).Select(o => (o, Versions[$"{o.Key}/{o.CurrentVersion}"])).ToList();

    public SettingRecord? ReadSetting(string key) => Settings.GetValueOrDefault(key);

    public IReadOnlyList<SettingRecord> ReadSettings(string keyPrefix) =>
        Settings.Values.Where(s => s.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList();

    public bool IsEmpty() => Header is null && Keks.Count == 0 && Objects.Count == 0 && Versions.Count == 0;

    public void Apply(WriteBatch batch)
    {
        if (!WritesEnabled)
        {
            throw new InvalidOperationException("write before EnableWrites");
        }

        Applied++;
        if (batch.Header is { } header)
        {
            Header = header;
            Keep(header.Root.Kind);
            foreach (var (key, value) in header.Root.Parameters)
            {
                Keep(key);
                Keep(value);
            }
        }

        foreach (var kek in batch.Keks)
        {
            Keks[kek.Version] = kek;
            _received.Add(kek.WrappedKey);
        }

        foreach (var key in batch.DeletedObjects)
        {
            Objects.Remove(key);
        }

        foreach (var key in batch.DeletedVersionsOf)
        {
            foreach (var version in FindVersions(key))
            {
                Versions.Remove(version.Key);
            }
        }

        foreach (var obj in batch.Objects)
        {
            Objects[obj.Key] = obj;
            Keep(obj.Key);
            Keep(obj.Name);
        }

        foreach (var key in batch.DeletedSettings)
        {
            Settings.Remove(key);
        }

        foreach (var setting in batch.Settings)
        {
            Settings[setting.Key] = setting;
            Keep(setting.Value);
        }

        foreach (var version in batch.Versions)
        {
            Versions[version.Key] = version;
            Keep(version.Key);
            _received.Add(version.Attributes);
            _received.Add(version.Sealed);
        }
    }

    // As the LiteDB store: an object's current version is its version with the highest sequence.
    private ObjectRecord WithCurrentVersion(ObjectRecord obj)
    {
        var latest = FindVersions(obj.Key).MaxBy(v => v.Sequence)!;
        return obj with { CurrentVersion = latest.Version, LatestSequence = latest.Sequence };
    }

    public void Dispose()
    {
        // Outlives the vault: a test reopens a vault on the same store.
        WritesEnabled = false;
    }

    private void Keep(string text) => _received.Add(System.Text.Encoding.UTF8.GetBytes(text));
}
