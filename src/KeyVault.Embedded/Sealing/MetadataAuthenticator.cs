using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Sealing;

/// <summary>
/// Authenticates the records that hold no sealed payload but decide what the vault does: the vault header (purge
/// protection, retention, current key-encryption key, root) and each object record (deletion state, purge date,
/// policy). HMAC-SHA-256 over a length-prefixed encoding of every stored field, under a key derived with HKDF from
/// key-encryption key version 1 (which every vault has, and which root rotation re-wraps but never changes).
/// Editing any of those fields on disk makes the vault refuse the record instead of acting on it.
/// </summary>
internal sealed class MetadataAuthenticator : IDisposable
{
    private const int MacSize = 32;
    private readonly byte[] _key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
    private readonly byte[] _vaultId;

    public MetadataAuthenticator(Guid vaultId, ReadOnlySpan<byte> firstKeyEncryptionKey)
    {
        _vaultId = vaultId.ToByteArray();
        HKDF.Expand(HashAlgorithmName.SHA256, firstKeyEncryptionKey, _key, "KeyVault.Embedded metadata mac v1"u8);
    }

    public VaultHeader Seal(VaultHeader header) => header with { Mac = Mac(Encode(header)) };

    public ObjectRecord Seal(ObjectRecord record) => record with { Mac = Mac(Encode(record)) };

    public SettingRecord Seal(SettingRecord record) => record with { Mac = Mac(Encode(record)) };

    /// <exception cref="VaultIntegrityException">The setting was edited on disk.</exception>
    public void Verify(SettingRecord record)
    {
        if (!Matches(Encode(record), record.Mac))
        {
            throw new VaultIntegrityException($"The vault setting '{record.Key}' failed its integrity check: it was edited on disk.");
        }
    }

    /// <exception cref="VaultIntegrityException">The header was edited on disk.</exception>
    public void Verify(VaultHeader header)
    {
        if (!Matches(Encode(header), header.Mac))
        {
            throw new VaultIntegrityException("The vault header failed its integrity check: it was edited on disk.");
        }
    }

    /// <exception cref="VaultIntegrityException">The object record was edited, moved or swapped on disk.</exception>
    public void Verify(ObjectRecord record)
    {
        if (!Matches(Encode(record), record.Mac))
        {
            throw new VaultIntegrityException($"The record of {record.Type.ToString().ToLowerInvariant()} '{record.Name}' failed its integrity check: it was edited on disk.");
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private byte[] Mac(byte[] encoded) => HMACSHA256.HashData(_key, encoded);

    private bool Matches(byte[] encoded, byte[]? mac)
    {
        if (mac is not { Length: MacSize })
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacSize];
        HMACSHA256.HashData(_key, encoded, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    private byte[] Encode(VaultHeader header)
    {
        var writer = new Writer("header", _vaultId);
        writer.Int(header.FormatVersion);
        writer.Bytes(header.VaultId.ToByteArray());
        writer.Int(header.CreatedOn);
        writer.Int(header.SoftDeleteRetentionDays);
        writer.Int(header.PurgeProtection ? 1 : 0);
        writer.Int(header.CurrentKekVersion);
        writer.Text(header.Root.Kind);
        foreach (var (key, value) in header.Root.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.Text(key);
            writer.Text(value);
        }

        return writer.ToArray();
    }

    private byte[] Encode(SettingRecord record)
    {
        var writer = new Writer("setting", _vaultId);
        writer.Text(record.Key);
        writer.Text(record.Value);
        return writer.ToArray();
    }

    private byte[] Encode(ObjectRecord record)
    {
        var writer = new Writer("object", _vaultId);
        writer.Text(record.Key);
        writer.Int((int)record.Type);
        writer.Text(record.Name);
        writer.Int(record.CreatedOn);
        writer.Int(record.DeletedOn ?? -1);
        writer.Int(record.ScheduledPurgeDate ?? -1);
        writer.Text(record.Policy);
        writer.Text(record.ManagedBy);
        return writer.ToArray();
    }

    /// <summary>Length-prefixed fields, so that no two different records encode alike.</summary>
    private sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public Writer(string kind, byte[] vaultId)
        {
            Text(kind);
            Bytes(vaultId);
        }

        public void Int(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Int(-1);
                return;
            }

            Bytes(Encoding.UTF8.GetBytes(value));
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Int(value.Length);
            _buffer.Write(value);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
