using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// The whole-vault backup file: every stored record of one generation, exactly as the vault file holds it (values
/// sealed, manifest buckets MAC'd), so that a backup carries the same protections as the vault and is checked by the
/// same code as an open. A MAC under a key of the vault's hierarchy covers the whole file, so any changed, missing or
/// added byte fails.
/// </summary>
/// <remarks>
/// <code>
/// file    = header | record × count | trailer
/// header  = "KVBK" | format (1) = 1 | 0 (3) | vault id (16) | generation (8) | count (8) | created, Unix s (8)   (48 bytes)
/// record  = id (8) | key length (2) | key (ASCII) | value length (4) | value         ids strictly increasing
/// trailer = "KVBE" | HMAC-SHA-256(backup key, SHA-256(every byte before the MAC)) (32)
/// </code>
/// Integers are big-endian. The backup key is <c>HKDF-Expand(binding, "KVE2 backup" | vault id)</c>.
/// </remarks>
internal static class VaultBackupFile
{
    public const int HeaderSize = 48;
    public const int TrailerSize = 36;
    private const byte Format = 1;
    private const int MaxKeyLength = 4096;
    private const int MaxValueLength = 64 * 1024 * 1024;

    /// <summary>Writes a backup, one record at a time, hashing as it goes.</summary>
    internal sealed class Writer(Stream destination, Guid vaultId, long generation, long count, long created) : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _written;

        public long Bytes { get; private set; }

        public async ValueTask WriteHeaderAsync(CancellationToken cancellationToken)
        {
            var header = new byte[HeaderSize];
            "KVBK"u8.CopyTo(header);
            header[4] = Format;
            vaultId.ToByteArray().CopyTo(header, 8);
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(24), generation);
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(32), count);
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(40), created);
            await WriteAsync(header, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask WriteRecordAsync(StoredRecord record, CancellationToken cancellationToken)
        {
            var key = Encoding.ASCII.GetBytes(record.Key);
            var prefix = new byte[8 + 2 + key.Length + 4];
            BinaryPrimitives.WriteInt64BigEndian(prefix, record.Id);
            BinaryPrimitives.WriteUInt16BigEndian(prefix.AsSpan(8), checked((ushort)key.Length));
            key.CopyTo(prefix, 10);
            BinaryPrimitives.WriteInt32BigEndian(prefix.AsSpan(10 + key.Length), record.Value.Length);
            await WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
            await WriteAsync(record.Value, cancellationToken).ConfigureAwait(false);
            _written++;
        }

        /// <summary>Writes the trailer: the MAC under <paramref name="backupKey"/>.</summary>
        public async ValueTask WriteTrailerAsync(byte[] backupKey, CancellationToken cancellationToken)
        {
            if (_written != count)
            {
                throw new InvalidOperationException($"The backup announced {count} records and wrote {_written}.");
            }

            await WriteAsync("KVBE"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            var mac = HMACSHA256.HashData(backupKey, _hash.GetHashAndReset());
            await destination.WriteAsync(mac, cancellationToken).ConfigureAwait(false);
            Bytes += mac.Length;
        }

        public void Dispose() => _hash.Dispose();

        private async ValueTask WriteAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            _hash.AppendData(bytes);
            await destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Bytes += bytes.Length;
        }
    }

    /// <summary>A backup file as read, before anything in it is trusted.</summary>
    /// <param name="VaultId">The vault the header names.</param>
    /// <param name="Generation">The generation the header names.</param>
    /// <param name="Created">When the backup was made, Unix seconds.</param>
    /// <param name="Records">Every record, in id order.</param>
    /// <param name="Digest">SHA-256 of every byte before the MAC.</param>
    /// <param name="Mac">The MAC the file carries.</param>
    /// <param name="Bytes">The file's length.</param>
    internal sealed record Content(Guid VaultId, long Generation, long Created, List<StoredRecord> Records, byte[] Digest, byte[] Mac, long Bytes)
    {
        /// <summary>Whether the file's MAC is the one <paramref name="backupKey"/> makes, in constant time.</summary>
        public bool Authentic(byte[] backupKey) => CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(backupKey, Digest), Mac);
    }

    /// <summary>Reads and parses a backup file (its authenticity is checked later, once the root is open).</summary>
    /// <exception cref="VaultException"><c>VaultFormatInvalid</c> when the bytes are not a vault backup, or of a newer format.</exception>
    /// <exception cref="VaultIntegrityException">The file is truncated or malformed.</exception>
    public static async ValueTask<Content> ReadAsync(Stream source, string location, Action<long>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reader = new Reader(source, hash, location);
        byte[]? header;
        try
        {
            header = await reader.ReadAsync(HeaderSize, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultIntegrityException)
        {
            header = null; // shorter than a header: whatever it is, it is no backup
        }

        if (header is null)
        {
            throw VaultErrors.FormatInvalid(location, "it is not a vault backup (too short)");
        }

        if (!header.AsSpan(0, 4).SequenceEqual("KVBK"u8))
        {
            throw VaultErrors.FormatInvalid(location, "it is not a vault backup");
        }

        if (header[4] != Format)
        {
            throw VaultErrors.FormatInvalid(location, $"it is a backup of format {header[4]}; this library reads format {Format}");
        }

        if (header[5] != 0 || header[6] != 0 || header[7] != 0)
        {
            throw Damaged(location, "its header is malformed");
        }

        var vaultId = new Guid(header.AsSpan(8, 16));
        var generation = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(24));
        var count = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(32));
        var created = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(40));
        if (generation < 1 || count < 1 || count > int.MaxValue)
        {
            throw Damaged(location, "its header is malformed");
        }

        var records = new List<StoredRecord>((int)Math.Min(count, 1 << 20));
        var previous = long.MinValue;
        for (long i = 0; i < count; i++)
        {
            var prefix = await reader.ReadAsync(10, cancellationToken).ConfigureAwait(false) ?? throw Truncated(location);
            var id = BinaryPrimitives.ReadInt64BigEndian(prefix);
            var keyLength = BinaryPrimitives.ReadUInt16BigEndian(prefix.AsSpan(8));
            if (id <= previous || keyLength is 0 or > MaxKeyLength)
            {
                throw Damaged(location, $"record {i + 1} is malformed");
            }

            previous = id;
            var keyAndLength = await reader.ReadAsync(keyLength + 4, cancellationToken).ConfigureAwait(false) ?? throw Truncated(location);
            if (!IsPrintableAscii(keyAndLength.AsSpan(0, keyLength)))
            {
                throw Damaged(location, $"record {i + 1} has a malformed key");
            }

            var valueLength = BinaryPrimitives.ReadInt32BigEndian(keyAndLength.AsSpan(keyLength));
            if (valueLength is < 0 or > MaxValueLength)
            {
                throw Damaged(location, $"record {i + 1} is malformed");
            }

            var value = await reader.ReadAsync(valueLength, cancellationToken).ConfigureAwait(false) ?? throw Truncated(location);
            records.Add(new StoredRecord(id, Encoding.ASCII.GetString(keyAndLength, 0, keyLength), value));
            if ((i & 1023) == 0)
            {
                progress?.Invoke(reader.Position);
            }
        }

        var end = await reader.ReadAsync(4, cancellationToken).ConfigureAwait(false) ?? throw Truncated(location);
        if (!end.AsSpan().SequenceEqual("KVBE"u8))
        {
            throw Damaged(location, "its trailer is missing");
        }

        var digest = hash.GetHashAndReset();
        var mac = await reader.ReadAsync(32, cancellationToken, hashed: false).ConfigureAwait(false) ?? throw Truncated(location);
        if (await reader.ReadAsync(1, cancellationToken, hashed: false).ConfigureAwait(false) is not null)
        {
            throw Damaged(location, "bytes follow its trailer");
        }

        return new Content(vaultId, generation, created, records, digest, mac, reader.Position);
    }

    private static bool IsPrintableAscii(ReadOnlySpan<byte> key)
    {
        foreach (var c in key)
        {
            if (c is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    internal static VaultIntegrityException Damaged(string location, string detail) =>
        new($"The vault backup '{location}' failed its integrity check: {detail}. It was altered, damaged or cut short; nothing was restored.");

    private static VaultIntegrityException Truncated(string location) => Damaged(location, "it ends early (an incomplete or truncated backup)");

    private sealed class Reader(Stream source, IncrementalHash hash, string location)
    {
        public long Position { get; private set; }

        /// <returns>Exactly <paramref name="length"/> bytes, or null at the end of the stream (none read).</returns>
        public async ValueTask<byte[]?> ReadAsync(int length, CancellationToken cancellationToken, bool hashed = true)
        {
            var buffer = await BackupStream.ReadExactlyAsync(source, length, () => Truncated(location), cancellationToken).ConfigureAwait(false);
            if (buffer is null)
            {
                return null;
            }

            if (hashed)
            {
                hash.AppendData(buffer);
            }

            Position += length;
            return buffer;
        }
    }
}
