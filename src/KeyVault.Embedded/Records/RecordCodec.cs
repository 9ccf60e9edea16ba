using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KeyVault.Embedded.Records;

/// <summary>
/// The stored form shared by every record: a format byte (2), a kind byte, and the body. Decoding runs only on
/// verified bytes, so a body that does not parse is a defect of ours or a forged manifest, and reads as an integrity
/// failure either way.
/// </summary>
internal static class RecordCodec
{
    public const byte Format = 2;
    public const byte HeaderKind = (byte)'H';
    public const byte KekKind = (byte)'K';
    public const byte ObjectKind = (byte)'O';
    public const byte VersionKind = (byte)'V';
    public const byte SettingKind = (byte)'S';

    public static byte[] Wrap(byte kind, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[2 + body.Length];
        bytes[0] = Format;
        bytes[1] = kind;
        body.CopyTo(bytes.AsSpan(2));
        return bytes;
    }

    /// <summary>The body of a verified record of the expected kind.</summary>
    /// <exception cref="VaultIntegrityException">The record is of another kind or format.</exception>
    public static ReadOnlySpan<byte> Body(VerifiedRecord record, byte kind)
    {
        var value = record.Value;
        if (value.Length < 2 || value[0] != Format || value[1] != kind)
        {
            throw Unreadable(record.Key);
        }

        return value.AsSpan(2);
    }

    public static byte[] Json<T>(byte kind, T value, JsonTypeInfo<T> type) => Wrap(kind, JsonSerializer.SerializeToUtf8Bytes(value, type));

    public static T Json<T>(VerifiedRecord record, byte kind, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(Body(record, kind), type) ?? throw Unreadable(record.Key);
        }
        catch (JsonException ex)
        {
            throw Unreadable(record.Key, ex);
        }
    }

    public static VaultIntegrityException Unreadable(string key, Exception? inner = null) =>
        new($"The record '{key}' is not readable although it matches the vault's manifest: the vault file was forged or is of a newer format.", inner);
}
