using System.Buffers.Binary;
using System.Numerics;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// CRC-32C (Castagnoli, hardware-accelerated through <see cref="BitOperations.Crc32C(uint, ulong)"/>) of one LiteDB
/// page and where it belongs. It guards the pages themselves, beneath LiteDB, against accidental damage: LiteDB has no
/// page checksums, and a damaged index page can make it loop forever or return less than is stored. The vault's
/// manifest, not this, is what an attacker cannot get past.
/// </summary>
internal static class PageChecksum
{
    public const int PageSize = VaultFileStream.PageSize;

    public static uint Of(ReadOnlySpan<byte> page, long index)
    {
        var crc = BitOperations.Crc32C(0xFFFFFFFFu, (ulong)index);
        var words = page.Length / 8;
        for (var i = 0; i < words; i++)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(page[(i * 8)..]));
        }

        for (var i = words * 8; i < page.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, page[i]);
        }

        return ~crc;
    }
}
