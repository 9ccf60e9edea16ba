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
/// What an anchor records, and its authenticated encoding: <c>"KVA2" | vault id | generation | root | HMAC [| HMAC]</c>.
/// One MAC, under the anchor key of the vault's root; two while a root rotation commits (the old root's and the new
/// one's), so that whichever root the files are left under after a crash verifies it.
/// </summary>
internal readonly record struct AnchorState(Guid VaultId, long Generation, RecordHash Root)
{
    private const int BodySize = 4 + 16 + 8 + RecordHash.Size;
    private const int MacSize = 32;

    public byte[] Encode(params MetadataKeys[] keys)
    {
        var bytes = new byte[BodySize + (MacSize * keys.Length)];
        "KVA2"u8.CopyTo(bytes);
        VaultId.ToByteArray().CopyTo(bytes, 4);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(20), Generation);
        Root.Write(bytes.AsSpan(28));
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i].AnchorMac(bytes.AsSpan(0, BodySize)).CopyTo(bytes, BodySize + (i * MacSize));
        }

        return bytes;
    }

    /// <summary>The generation an anchor's bytes claim, before any check (to pick the newer of two); -1 for bytes of another shape.</summary>
    public static long PeekGeneration(byte[] bytes) =>
        IsShaped(bytes) ? BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)) : -1;

    /// <summary>The vault id an anchor's bytes claim, before any check; null for bytes of another shape.</summary>
    public static Guid? PeekVaultId(byte[] bytes) => IsShaped(bytes) ? new Guid(bytes.AsSpan(4, 16)) : null;

    /// <returns>The state, or null when the bytes are not an anchor this vault's keys made.</returns>
    public static AnchorState? Decode(byte[] bytes, MetadataKeys keys)
    {
        if (!IsShaped(bytes))
        {
            return null;
        }

        var expected = keys.AnchorMac(bytes.AsSpan(0, BodySize));
        var matched = false;
        for (var at = BodySize; at < bytes.Length; at += MacSize)
        {
            matched |= CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(at, MacSize));
        }

        return matched
            ? new AnchorState(new Guid(bytes.AsSpan(4, 16)), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)), RecordHash.Read(bytes.AsSpan(28)))
            : null;
    }

    private static bool IsShaped(byte[] bytes) =>
        bytes.Length is BodySize + MacSize or BodySize + (2 * MacSize) && bytes.AsSpan(0, 4).SequenceEqual("KVA2"u8);
}

/// <summary>A root that can keep the vault's rollback anchor itself (a data object in a PKCS#11 token), when asked to.</summary>
internal interface IRollbackAnchorSource
{
    /// <summary>The anchor of one vault, or null when this root was not configured to keep one.</summary>
    IRollbackAnchor? OpenAnchor(Guid vaultId);
}
