using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// SHA-256 of one stored record, bound to its storage key: what the manifest holds for every record, and what a
/// read compares the stored bytes with before using any of them. A value type of four words, so the manifest of a
/// vault of 100,000 records holds no per-entry array.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct RecordHash : IEquatable<RecordHash>
{
    public const int Size = 32;
    private const int StackLimit = 1024;
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private RecordHash(ReadOnlySpan<byte> bytes)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    private static ReadOnlySpan<byte> Label => "KVE2 record\0"u8;

    public bool IsEmpty => (_a | _b | _c | _d) == 0;

    /// <summary>SHA-256 over <c>label | key length | key (UTF-8) | value</c>: a record moved to another key hashes differently.</summary>
    public static RecordHash Of(string key, ReadOnlySpan<byte> value)
    {
        var keyLength = Encoding.UTF8.GetByteCount(key);
        var length = Label.Length + 2 + keyLength + value.Length;
        byte[]? rented = null;
        var input = length <= StackLimit ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            Label.CopyTo(input);
            BinaryPrimitives.WriteUInt16BigEndian(input[Label.Length..], checked((ushort)keyLength));
            Encoding.UTF8.GetBytes(key, input[(Label.Length + 2)..]);
            value.CopyTo(input[(Label.Length + 2 + keyLength)..]);
            return Digest(input);
        }
        finally
        {
            if (rented is not null)
            {
                // The value may be a sealed payload or key attributes: nothing secret in clear, but no reason to leave it.
                CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>SHA-256 of <paramref name="data"/> as a hash value (the manifest's bucket, group and root hashes).</summary>
    public static RecordHash Digest(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Size];
        SHA256.HashData(data, digest);
        return new RecordHash(digest);
    }

    public static RecordHash Read(ReadOnlySpan<byte> bytes) => new(bytes);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Compares without an early exit, so the time taken says nothing about where two hashes differ.</summary>
    public bool Equals(RecordHash other) => ((_a ^ other._a) | (_b ^ other._b) | (_c ^ other._c) | (_d ^ other._d)) == 0;

    public override bool Equals(object? obj) => obj is RecordHash other && Equals(other);

    public override int GetHashCode() => (int)_a;

    public static bool operator ==(RecordHash left, RecordHash right) => left.Equals(right);

    public static bool operator !=(RecordHash left, RecordHash right) => !left.Equals(right);

    /// <summary>The first bytes in hexadecimal, for diagnostics.</summary>
    public override string ToString() => _a.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
