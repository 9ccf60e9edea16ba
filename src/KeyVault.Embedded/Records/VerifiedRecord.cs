using KeyVault.Embedded.Integrity;

namespace KeyVault.Embedded.Records;

/// <summary>
/// Bytes read from storage whose hash matched what the authenticated manifest says the record must be. The record
/// types decode only from this, never from raw storage bytes, so a path that forgets to verify does not compile.
/// </summary>
internal sealed class VerifiedRecord
{
    private VerifiedRecord(string key, byte[] value, RecordHash hash)
    {
        Key = key;
        Value = value;
        Hash = hash;
    }

    public string Key { get; }

    public byte[] Value { get; }

    public RecordHash Hash { get; }

    /// <summary>The verified record when the bytes are the ones the manifest lists, else null.</summary>
    public static VerifiedRecord? TryCheck(string key, byte[]? value, RecordHash expected)
    {
        if (value is null)
        {
            return null;
        }

        var hash = RecordHash.Of(key, value);
        return hash.Equals(expected) ? new VerifiedRecord(key, value, hash) : null;
    }

    /// <summary>Checks stored bytes against the hash the manifest lists for <paramref name="key"/>.</summary>
    /// <exception cref="VaultIntegrityException">The record is missing, or its bytes are not the ones the manifest lists.</exception>
    public static VerifiedRecord Check(string key, byte[]? value, RecordHash expected)
    {
        if (value is null)
        {
            throw new VaultIntegrityException($"The record '{key}' is missing from the vault's storage although the vault's manifest lists it: the file was altered or damaged (a record was removed, or an index no longer finds it).");
        }

        var hash = RecordHash.Of(key, value);
        if (!hash.Equals(expected))
        {
            throw new VaultIntegrityException($"The record '{key}' failed its integrity check: its stored bytes are not the ones the vault wrote (the file was edited, damaged, or an older copy of the record was put back).");
        }

        return new VerifiedRecord(key, value, hash);
    }
}
