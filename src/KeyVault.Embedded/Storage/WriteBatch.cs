namespace KeyVault.Embedded.Storage;

/// <summary>
/// Everything one vault call changes. A record store applies a batch as one transaction that is on the
/// physical disk when <see cref="IRecordStore.Apply"/> returns.
/// </summary>
internal sealed class WriteBatch
{
    public VaultHeader? Header { get; set; }

    public List<KekRecord> Keks { get; } = [];

    /// <summary>Objects to create or change (their own fields: name, dates, deletion state).</summary>
    public List<ObjectRecord> Objects { get; } = [];

    public List<string> DeletedObjects { get; } = [];

    public List<VersionRecord> Versions { get; } = [];

    /// <summary>Object keys whose every version is removed.</summary>
    public List<string> DeletedVersionsOf { get; } = [];

    public List<SettingRecord> Settings { get; } = [];

    public List<string> DeletedSettings { get; } = [];

    /// <summary>
    /// When set, bytes of removed records must be gone from every file of the store (not only unlinked)
    /// before <see cref="IRecordStore.Apply"/> returns. Set by purge.
    /// </summary>
    public bool Shred { get; set; }
}
