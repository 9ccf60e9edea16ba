using KeyVault.Embedded.Records;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>One version of one object, with the object's shared state (display name, current version, deletion).</summary>
internal readonly record struct ObjectVersion(ObjectRecord Object, StoredVersion Stored)
{
    public string Name => Object.Name;

    public string Version => Stored.Version;

    public RecordAttributes Attributes => Stored.Attributes;
}
