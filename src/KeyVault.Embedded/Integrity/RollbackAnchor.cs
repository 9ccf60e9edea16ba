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

/// <summary>
/// What an anchor records, and its authenticated encoding: <c>"KVA3" | vault id | generation | root | lineage | HMAC [| HMAC]</c>
/// (<c>"KVA2"</c>, without the lineage, is still read, as lineage zero). One MAC, under the anchor key of the vault's
/// root; two while a root rotation commits (the old root's and the new one's), so that whichever root the files are
/// left under after a crash verifies it. The lineage is the header's (<see cref="Records.VaultHeader.Lineage"/>): a
/// restore that writes an anchor, and an open that drops one, start a new lineage, so files of another line of the
/// vault's history are refused whatever their generation.
/// </summary>
internal readonly record struct AnchorState(Guid VaultId, long Generation, RecordHash Root, Guid Lineage)
{
    private const int LegacyBodySize = 4 + 16 + 8 + RecordHash.Size;
    private const int BodySize = LegacyBodySize + 16;
    private const int MacSize = 32;

    public byte[] Encode(params MetadataKeys[] keys)
    {
        var bytes = new byte[BodySize + (MacSize * keys.Length)];
        "KVA3"u8.CopyTo(bytes);
        VaultId.ToByteArray().CopyTo(bytes, 4);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(20), Generation);
        Root.Write(bytes.AsSpan(28));
        Lineage.ToByteArray().CopyTo(bytes, LegacyBodySize);
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i].AnchorMac(bytes.AsSpan(0, BodySize)).CopyTo(bytes, BodySize + (i * MacSize));
        }

        return bytes;
    }

    /// <summary>The generation an anchor's bytes claim, before any check (to pick the newer of two); -1 for bytes of another shape.</summary>
    public static long PeekGeneration(byte[] bytes) =>
        BodyLength(bytes) > 0 ? BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)) : -1;

    /// <summary>The vault id an anchor's bytes claim, before any check; null for bytes of another shape.</summary>
    public static Guid? PeekVaultId(byte[] bytes) => BodyLength(bytes) > 0 ? new Guid(bytes.AsSpan(4, 16)) : null;

    /// <returns>The state, or null when the bytes are not an anchor this vault's keys made.</returns>
    public static AnchorState? Decode(byte[] bytes, MetadataKeys keys)
    {
        var body = BodyLength(bytes);
        if (body == 0)
        {
            return null;
        }

        var expected = keys.AnchorMac(bytes.AsSpan(0, body));
        var matched = false;
        for (var at = body; at < bytes.Length; at += MacSize)
        {
            matched |= CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(at, MacSize));
        }

        return matched
            ? new AnchorState(new Guid(bytes.AsSpan(4, 16)), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)), RecordHash.Read(bytes.AsSpan(28)),
                body == BodySize ? new Guid(bytes.AsSpan(LegacyBodySize, 16)) : Guid.Empty)
            : null;
    }

    /// <summary>The length of the MAC'd body of an anchor's bytes (KVA3 or KVA2); 0 for bytes of another shape.</summary>
    private static int BodyLength(byte[] bytes) =>
        bytes.Length is BodySize + MacSize or BodySize + (2 * MacSize) && bytes.AsSpan(0, 4).SequenceEqual("KVA3"u8) ? BodySize
        : bytes.Length is LegacyBodySize + MacSize or LegacyBodySize + (2 * MacSize) && bytes.AsSpan(0, 4).SequenceEqual("KVA2"u8) ? LegacyBodySize
        : 0;
}

/// <summary>A root that can keep the vault's rollback anchor itself (a data object in a PKCS#11 token), when asked to.</summary>
internal interface IRollbackAnchorSource
{
    /// <summary>The anchor of one vault, or null when this root was not configured to keep one.</summary>
    IRollbackAnchor? OpenAnchor(Guid vaultId);
}
