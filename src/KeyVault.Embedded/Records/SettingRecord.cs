using System.Text;

namespace KeyVault.Embedded.Records;

/// <summary>A small named vault setting (certificate contacts, a certificate issuer): JSON text, not versioned.</summary>
/// <param name="Name">The setting's name, for example <c>certificates/issuers/my-ca</c> (stored at <c>settings/{name}</c>).</param>
/// <param name="Value">The setting as JSON.</param>
internal sealed record SettingRecord(string Name, string Value)
{
    public string Key => RecordKeys.Setting(Name);

    public byte[] Encode() => RecordCodec.Wrap(RecordCodec.SettingKind, Encoding.UTF8.GetBytes(Value));

    public static SettingRecord Decode(VerifiedRecord record)
    {
        try
        {
            return new SettingRecord(record.Key[RecordKeys.SettingPrefix.Length..], new UTF8Encoding(false, true).GetString(RecordCodec.Body(record, RecordCodec.SettingKind)));
        }
        catch (DecoderFallbackException ex)
        {
            throw RecordCodec.Unreadable(record.Key, ex);
        }
    }
}
