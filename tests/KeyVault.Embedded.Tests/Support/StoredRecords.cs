using System.Buffers.Binary;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// Reads and writes the stored form of records the way an attacker with the file would: format byte 2, kind byte,
/// body. A version's body is <c>attribute length (4) | attributes (JSON) | sealed envelope</c>.
/// </summary>
internal static class StoredRecords
{
    public static (byte[] Attributes, byte[] Sealed) Version(byte[] value)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(2));
        return (value.AsSpan(6, length).ToArray(), value.AsSpan(6 + length).ToArray());
    }

    public static byte[] Version(byte[] attributes, byte[] sealedPayload)
    {
        var value = new byte[6 + attributes.Length + sealedPayload.Length];
        value[0] = 2;
        value[1] = (byte)'V';
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(2), attributes.Length);
        attributes.CopyTo(value, 6);
        sealedPayload.CopyTo(value, 6 + attributes.Length);
        return value;
    }

    /// <summary>The wrapped key of a key-encryption key record: <c>2 'K' | version (4) | created (8) | wrapped</c>.</summary>
    public static byte[] WrappedKey(byte[] value) => value[14..];

    /// <summary>The key-encryption key version a sealed envelope names.</summary>
    public static int KekVersion(byte[] sealedPayload) => BinaryPrimitives.ReadInt32BigEndian(sealedPayload.AsSpan(3));

    public static IEnumerable<KeyValuePair<string, byte[]>> Versions(IEnumerable<KeyValuePair<string, byte[]>> records, string objectKey) =>
        records.Where(p => p.Key.StartsWith(objectKey + "/", StringComparison.Ordinal));
}
