using System.Buffers.Binary;
using System.Text.Json;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Records;

/// <summary>
/// One immutable version as stored: its non-secret attributes (UTF-8 JSON, parsed once) and the sealed payload (an
/// AEAD envelope whose associated data binds the vault, type, name, version and these exact attribute bytes). This is
/// all the storage ever sees of a secret or private key. What the cache holds: still sealed.
/// </summary>
internal sealed class StoredVersion
{
    private Integrity.RecordHash? _revision;

    private StoredVersion(string key, string version, byte[] attributeBytes, RecordAttributes attributes, byte[] sealedPayload)
    {
        Key = key;
        Version = version;
        AttributeBytes = attributeBytes;
        Attributes = attributes;
        Sealed = sealedPayload;
    }

    /// <summary>Storage key: <c>{object key}/{version}</c>.</summary>
    public string Key { get; }

    public string Version { get; }

    /// <summary>The exact attribute bytes bound into the envelope.</summary>
    public byte[] AttributeBytes { get; }

    public RecordAttributes Attributes { get; }

    /// <summary>The envelope.</summary>
    public byte[] Sealed { get; }

    public long Sequence => Attributes.Sequence;

    /// <summary>
    /// What identifies this state of the version's properties: a digest of its attribute bytes (which every update
    /// changes, if only its updated time, and a re-seal under a new key-encryption key keeps). Properties read from it
    /// carry it, and an update made with them is refused (<c>Conflict</c>) once the version has changed since (another
    /// caller's or instance's update got there first).
    /// </summary>
    public Integrity.RecordHash Revision => _revision ??= Integrity.RecordHash.Digest(AttributeBytes);

    /// <summary>A version made by the write path (its attributes serialized here, once).</summary>
    public static StoredVersion Create(string objectKey, string version, RecordAttributes attributes, Func<byte[], byte[]> seal)
    {
        var attributeBytes = JsonSerializer.SerializeToUtf8Bytes(attributes, RecordJsonContext.Default.RecordAttributes);
        return new StoredVersion(RecordKeys.Version(objectKey, version), version, attributeBytes, attributes, seal(attributeBytes));
    }

    /// <summary>A version brought back from a backup: its exact attribute bytes, with a new envelope sealed over them.</summary>
    public static StoredVersion FromParts(string objectKey, string version, byte[] attributeBytes, RecordAttributes attributes, byte[] sealedPayload) =>
        new(RecordKeys.Version(objectKey, version), version, attributeBytes, attributes, sealedPayload);

    public byte[] Encode()
    {
        var body = new byte[4 + AttributeBytes.Length + Sealed.Length];
        BinaryPrimitives.WriteInt32BigEndian(body, AttributeBytes.Length);
        AttributeBytes.CopyTo(body, 4);
        Sealed.CopyTo(body, 4 + AttributeBytes.Length);
        return RecordCodec.Wrap(RecordCodec.VersionKind, body);
    }

    /// <summary>Decodes a verified version record; its sequence must be the one the manifest lists.</summary>
    /// <exception cref="VaultIntegrityException">The bytes do not decode, or disagree with the manifest.</exception>
    public static StoredVersion Decode(VerifiedRecord record, long expectedSequence)
    {
        var body = RecordCodec.Body(record, RecordCodec.VersionKind);
        if (body.Length < 4 || BinaryPrimitives.ReadInt32BigEndian(body) is var length && (length < 0 || length > body.Length - 4)
            || !RecordKeys.TryParseObject(record.Key, out _, out _, out var version) || version is null)
        {
            throw RecordCodec.Unreadable(record.Key);
        }

        var attributeBytes = body.Slice(4, length).ToArray();
        RecordAttributes? attributes;
        try
        {
            attributes = JsonSerializer.Deserialize(attributeBytes, RecordJsonContext.Default.RecordAttributes);
        }
        catch (JsonException ex)
        {
            throw RecordCodec.Unreadable(record.Key, ex);
        }

        if (attributes is null || attributes.Sequence != expectedSequence)
        {
            throw RecordCodec.Unreadable(record.Key);
        }

        return new StoredVersion(record.Key, version, attributeBytes, attributes, body[(4 + length)..].ToArray());
    }

    /// <summary>
    /// A version record of a format-1 vault, carried over with its exact attribute bytes and envelope (the upgrade has
    /// authenticated both by unsealing it). Null when the attributes do not parse.
    /// </summary>
    public static StoredVersion? FromFormatOne(string key, byte[] attributeBytes, byte[] sealedPayload)
    {
        if (!RecordKeys.TryParseObject(key, out _, out _, out var version) || version is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(attributeBytes, RecordJsonContext.Default.RecordAttributes) is { } attributes
                ? new StoredVersion(key, version, attributeBytes, attributes, sealedPayload)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The same version with its attributes replaced and its payload resealed (the attributes are in the AAD).</summary>
    public StoredVersion WithAttributes(RecordAttributes attributes, Func<byte[], byte[]> seal)
    {
        var attributeBytes = JsonSerializer.SerializeToUtf8Bytes(attributes, RecordJsonContext.Default.RecordAttributes);
        return new StoredVersion(Key, Version, attributeBytes, attributes, seal(attributeBytes));
    }

    /// <summary>The same version and attributes with a new envelope (re-sealed under another key-encryption key).</summary>
    public StoredVersion WithSealed(byte[] sealedPayload) => new(Key, Version, AttributeBytes, Attributes, sealedPayload);
}
