using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// Somewhere outside the vault's files that remembers how far the vault has got: its generation and manifest root,
/// MAC'd. A vault file older than its anchor is refused at open (<c>RollbackDetected</c>). Kinds: a file at another
/// path (<see cref="FileRollbackAnchor"/>), or a data object in the PKCS#11 token (the PKCS#11 package).
/// </summary>
internal interface IRollbackAnchor : IDisposable
{
    /// <summary>Where the anchor is, for messages.</summary>
    string Description { get; }

    /// <summary>The anchor's bytes, or null when there is none yet.</summary>
    byte[]? Read();

    /// <summary>Replaces the anchor, durably (fsync, or the token's own persistence) before returning.</summary>
    void Write(byte[] content);
}

/// <summary>What an anchor records, and its authenticated encoding: <c>"KVA2" | vault id | generation | root | HMAC</c>.</summary>
internal readonly record struct AnchorState(Guid VaultId, long Generation, RecordHash Root)
{
    private const int BodySize = 4 + 16 + 8 + RecordHash.Size;
    private const int Size = BodySize + 32;

    public byte[] Encode(MetadataKeys keys)
    {
        var bytes = new byte[Size];
        "KVA2"u8.CopyTo(bytes);
        VaultId.ToByteArray().CopyTo(bytes, 4);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(20), Generation);
        Root.Write(bytes.AsSpan(28));
        keys.AnchorMac(bytes.AsSpan(0, BodySize)).CopyTo(bytes, BodySize);
        return bytes;
    }

    /// <returns>The state, or null when the bytes are not an anchor this vault's keys made.</returns>
    public static AnchorState? Decode(byte[] bytes, MetadataKeys keys)
    {
        if (bytes.Length != Size || !bytes.AsSpan(0, 4).SequenceEqual("KVA2"u8)
            || !CryptographicOperations.FixedTimeEquals(keys.AnchorMac(bytes.AsSpan(0, BodySize)), bytes.AsSpan(BodySize)))
        {
            return null;
        }

        return new AnchorState(new Guid(bytes.AsSpan(4, 16)), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)), RecordHash.Read(bytes.AsSpan(28)));
    }
}

/// <summary>A root that can keep the vault's rollback anchor itself (a data object in a PKCS#11 token), when asked to.</summary>
internal interface IRollbackAnchorSource
{
    /// <summary>The anchor of one vault, or null when this root was not configured to keep one.</summary>
    IRollbackAnchor? OpenAnchor(Guid vaultId);
}
