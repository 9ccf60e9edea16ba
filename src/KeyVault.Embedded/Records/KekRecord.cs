using System.Buffers.Binary;

namespace KeyVault.Embedded.Records;

/// <summary>
/// One version of the vault's key-encryption key, wrapped by the root (RFC 3394 for the built-in roots). Written once
/// and never replaced (a store refuses to overwrite one), so two writers can never lose each other's key; removed
/// when the version is retired.
/// </summary>
internal sealed record KekRecord(int Version, byte[] WrappedKey, long CreatedOn)
{
    public string Key => RecordKeys.Kek(Version);

    public byte[] Encode()
    {
        var body = new byte[12 + WrappedKey.Length];
        BinaryPrimitives.WriteInt32BigEndian(body, Version);
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(4), CreatedOn);
        WrappedKey.CopyTo(body, 12);
        return RecordCodec.Wrap(RecordCodec.KekKind, body);
    }

    /// <summary>
    /// Decodes a key-encryption key record. At open this runs before the manifest can be checked (the manifest's MAC
    /// key derives from the key-encryption key), so the caller verifies these bytes against the manifest right after.
    /// </summary>
    public static KekRecord? TryDecodeUnverified(string key, byte[] value)
    {
        if (value.Length < 14 || value[0] != RecordCodec.Format || value[1] != RecordCodec.KekKind || RecordKeys.ParseKek(key) is not { } version)
        {
            return null;
        }

        var body = value.AsSpan(2);
        return BinaryPrimitives.ReadInt32BigEndian(body) == version
            ? new KekRecord(version, body[12..].ToArray(), BinaryPrimitives.ReadInt64BigEndian(body[4..]))
            : null;
    }
}
