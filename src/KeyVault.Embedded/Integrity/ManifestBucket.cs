using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The stored form of one manifest bucket (record <c>~manifest/{index, 6 hex digits}</c>):
/// <code>
/// "KVM2" | index (4) | generation (8) | KEK version (4) | level (1) | split (4) | root (32) | MAC (32)
///        | entries length (4) | entries | zeros to a multiple of 1 KiB
/// entry = kind (1: object, 2: version, 3: other) | key length (2) | key (ASCII) | SHA-256 (32) | sequence (8) | id (8)
/// </code>
/// The generation, the table's shape (level, split) and the root are those of the commit that wrote the bucket; the MAC
/// (see <see cref="MetadataKeys"/>) covers every other byte, padding included. The padding keeps a bucket's size
/// the same across most commits, so the store rewrites it in place (one page) instead of moving or chaining it.
/// </summary>
internal static class ManifestBucket
{
    public const byte ObjectEntry = 1;
    public const byte VersionEntry = 2;
    public const byte OtherEntry = 3;

    /// <summary>Where a stored bucket carries the generation of the commit that wrote it (8 bytes, big-endian).</summary>
    public const int GenerationOffset = 8;
    private const int MacOffset = 4 + 4 + 8 + 4 + 1 + 4 + RecordHash.Size;
    private const int HeaderSize = MacOffset + 32 + 4;
    private const int SizeClass = 1024;
    private const int EntryFixedSize = 1 + 2 + RecordHash.Size + 8 + 8;

    private static ReadOnlySpan<byte> Magic => "KVM2"u8;

    public static string Key(int index) => RecordKeys.ManifestPrefix + index.ToString("x6", CultureInfo.InvariantCulture);

    /// <summary>The length of the stored document of a bucket whose entries take <paramref name="entriesLength"/> bytes.</summary>
    public static int StoredLength(int entriesLength) => (HeaderSize + entriesLength + SizeClass - 1) / SizeClass * SizeClass;

    public static byte[] Encode(int index, ManifestHead head, ReadOnlySpan<byte> entries, MetadataKeys keys)
    {
        var document = new byte[StoredLength(entries.Length)];
        Magic.CopyTo(document);
        BinaryPrimitives.WriteInt32BigEndian(document.AsSpan(4), index);
        BinaryPrimitives.WriteInt64BigEndian(document.AsSpan(GenerationOffset), head.Generation);
        BinaryPrimitives.WriteInt32BigEndian(document.AsSpan(16), head.KekVersion);
        document[20] = (byte)head.Level;
        BinaryPrimitives.WriteInt32BigEndian(document.AsSpan(21), head.Split);
        head.Root.Write(document.AsSpan(25));
        BinaryPrimitives.WriteInt32BigEndian(document.AsSpan(HeaderSize - 4), entries.Length);
        entries.CopyTo(document.AsSpan(HeaderSize));
        keys.BucketMac(head.KekVersion, document.AsSpan(0, MacOffset), document.AsSpan(MacOffset + 32), document.AsSpan(MacOffset, 32));
        return document;
    }

    /// <summary>Checks a stored bucket (its key, form and MAC) and returns its index, the head it carries and its entry bytes.</summary>
    /// <exception cref="VaultIntegrityException">The bucket is malformed, misplaced or fails its MAC.</exception>
    public static (int Index, ManifestHead Head, ReadOnlyMemory<byte> Entries) Decode(StoredRecord stored, MetadataKeys keys)
    {
        var (index, head, length) = Parse(stored);
        if (!VerifyMac(stored.Value, head.KekVersion, keys))
        {
            throw Manifest.Damaged($"bucket {index} fails its MAC (edited, forged, or authenticated by a key the vault no longer holds)");
        }

        if (length is null)
        {
            throw Manifest.Damaged($"bucket {index} is truncated");
        }

        return (index, head, stored.Value.AsMemory(HeaderSize, length.Value));
    }

    /// <summary>
    /// Whether a stored bucket holds exactly the entries whose hash the manifest keeps for it (<paramref name="listed"/>),
    /// with its MAC checked when the vault still holds the key-encryption key that made it (one retired since, by a
    /// commit after a backup's snapshot, leaves the entries' check): what a backup checks of a bucket it copies.
    /// </summary>
    public static bool Holds(StoredRecord stored, RecordHash listed, MetadataKeys keys)
    {
        int index;
        ManifestHead head;
        int? length;
        try
        {
            (index, head, length) = Parse(stored);
        }
        catch (VaultIntegrityException)
        {
            return false;
        }

        if (length is null || !Manifest.BucketHash(index, stored.Value.AsSpan(HeaderSize, length.Value)).Equals(listed))
        {
            return false;
        }

        try
        {
            return !keys.Holds(head.KekVersion) || VerifyMac(stored.Value, head.KekVersion, keys);
        }
        catch (ObjectDisposedException)
        {
            return true; // the keys of the snapshot's root, rotated since: the entries are checked
        }
    }

    /// <summary>A stored bucket's index, head and entries' length (null when it overruns the document), its key and form checked; not its MAC.</summary>
    /// <exception cref="VaultIntegrityException">The record is not a manifest bucket, or is in another bucket's place.</exception>
    private static (int Index, ManifestHead Head, int? Length) Parse(StoredRecord stored)
    {
        var document = stored.Value;
        if (!TryParseKey(stored.Key, out var index) || document.Length < HeaderSize || !document.AsSpan(0, 4).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32BigEndian(document.AsSpan(4)) != index)
        {
            throw Manifest.Damaged($"the record '{stored.Key}' is not a manifest bucket");
        }

        var head = new ManifestHead(
            BinaryPrimitives.ReadInt64BigEndian(document.AsSpan(GenerationOffset)),
            BinaryPrimitives.ReadInt32BigEndian(document.AsSpan(16)),
            document[20],
            BinaryPrimitives.ReadInt32BigEndian(document.AsSpan(21)),
            RecordHash.Read(document.AsSpan(25)));
        var length = BinaryPrimitives.ReadInt32BigEndian(document.AsSpan(HeaderSize - 4));
        return (index, head, length < 0 || length > document.Length - HeaderSize ? null : length);
    }

    private static bool VerifyMac(byte[] document, int kekVersion, MetadataKeys keys) =>
        keys.VerifyBucket(kekVersion, document.AsSpan(0, MacOffset), document.AsSpan(MacOffset + 32), document.AsSpan(MacOffset, 32));

    /// <summary>How many bytes an entry for <paramref name="key"/> takes.</summary>
    public static int EntryLength(string key) => EntryFixedSize + key.Length;

    /// <summary>Writes one entry at the start of <paramref name="destination"/>; returns its length.</summary>
    public static int WriteEntry(Span<byte> destination, BucketEntry entry)
    {
        var key = entry.Key;
        destination[0] = entry.Kind;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], checked((ushort)key.Length));
        for (var i = 0; i < key.Length; i++)
        {
            destination[3 + i] = key[i] < 0x80 ? (byte)key[i] : throw new InvalidOperationException($"The record key '{key}' is not ASCII.");
        }

        var at = 3 + key.Length;
        entry.Hash.Write(destination[at..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[(at + RecordHash.Size)..], entry.Sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[(at + RecordHash.Size + 8)..], entry.Id);
        return at + RecordHash.Size + 16;
    }

    /// <summary>Every entry of a bucket's entry bytes (already checked by <see cref="Check"/>).</summary>
    public static List<BucketEntry> ReadEntries(ReadOnlySpan<byte> entries, int index)
    {
        var result = new List<BucketEntry>();
        for (var at = 0; at < entries.Length;)
        {
            var entry = Next(entries, ref at, index);
            result.Add(new BucketEntry(Encoding.ASCII.GetString(entry.Key), entry.Kind, entry.Hash, entry.Sequence, entry.Id));
        }

        return result;
    }

    /// <summary>Checks a bucket's entry bytes: whole entries, ASCII keys in strictly increasing order. Returns how many.</summary>
    /// <exception cref="VaultIntegrityException">They are not.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Check(ReadOnlySpan<byte> entries, int index)
    {
        var count = 0;
        int previousStart = 0, previousLength = 0;
        for (var at = 0; at < entries.Length; count++)
        {
            var keyStart = at + 3;
            var entry = Next(entries, ref at, index);
            if (!Ascii.IsValid(entry.Key))
            {
                throw Manifest.Damaged($"bucket {index} holds a key that is not ASCII");
            }

            if (count > 0 && entries.Slice(previousStart, previousLength).SequenceCompareTo(entry.Key) >= 0)
            {
                throw Manifest.Damaged($"bucket {index} is not in key order");
            }

            (previousStart, previousLength) = (keyStart, entry.Key.Length);
        }

        return count;
    }

    /// <summary>The entry at <paramref name="at"/>, which moves past it.</summary>
    /// <exception cref="VaultIntegrityException">The bytes end inside an entry.</exception>
    public static RawEntry Next(ReadOnlySpan<byte> entries, ref int at, int index)
    {
        if (entries.Length - at < 3)
        {
            throw Manifest.Damaged($"bucket {index} is truncated");
        }

        var kind = entries[at];
        var keyLength = BinaryPrimitives.ReadUInt16BigEndian(entries[(at + 1)..]);
        var start = at + 3;
        if (keyLength == 0 || entries.Length - start < keyLength + RecordHash.Size + 16)
        {
            throw Manifest.Damaged($"bucket {index} is truncated");
        }

        var fixedPart = entries[(start + keyLength)..];
        at = start + keyLength + RecordHash.Size + 16;
        return new RawEntry(kind, entries.Slice(start, keyLength), RecordHash.Read(fixedPart), BinaryPrimitives.ReadInt64BigEndian(fixedPart[RecordHash.Size..]), BinaryPrimitives.ReadInt64BigEndian(fixedPart[(RecordHash.Size + 8)..]));
    }

    private static bool TryParseKey(string key, out int index)
    {
        index = 0;
        return key.StartsWith(RecordKeys.ManifestPrefix, StringComparison.Ordinal) && key.Length == RecordKeys.ManifestPrefix.Length + 6
            && int.TryParse(key.AsSpan(RecordKeys.ManifestPrefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out index);
    }
}

/// <summary>
/// What a commit wrote into every bucket it touched: its generation, the key-encryption key version of the MACs, the
/// table's shape (linear hashing: 2^<see cref="Level"/> + <see cref="Split"/> buckets) and the manifest's root.
/// </summary>
internal readonly record struct ManifestHead(long Generation, int KekVersion, int Level, int Split, RecordHash Root)
{
    public int BucketCount => (1 << Level) + Split;
}

/// <summary>One entry as it lies in a bucket's bytes (its key not yet a string).</summary>
internal readonly ref struct RawEntry(byte kind, ReadOnlySpan<byte> key, RecordHash hash, long sequence, long id)
{
    public byte Kind { get; } = kind;

    public ReadOnlySpan<byte> Key { get; } = key;

    public RecordHash Hash { get; } = hash;

    public long Sequence { get; } = sequence;

    public long Id { get; } = id;
}
