using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>A version record with its attributes parsed once (what the cache holds: still sealed).</summary>
internal sealed class StoredVersion
{
    public StoredVersion(VersionRecord record, RecordAttributes attributes)
    {
        Record = record;
        Attributes = attributes;
        Version = record.Version;
    }

    public VersionRecord Record { get; }

    public RecordAttributes Attributes { get; }

    public string Version { get; }
}
