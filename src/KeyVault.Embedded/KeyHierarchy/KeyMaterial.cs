using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>Helpers for key bytes the library owns: pinned (the GC never leaves copies behind) and zeroed when done.</summary>
internal static class KeyMaterial
{
    public const int KeySize = 32;

    /// <summary>A pinned copy of <paramref name="source"/>.</summary>
    public static byte[] PinnedCopy(ReadOnlySpan<byte> source)
    {
        var copy = GC.AllocateUninitializedArray<byte>(source.Length, pinned: true);
        source.CopyTo(copy);
        return copy;
    }

    /// <summary>A new random 256-bit key in pinned memory.</summary>
    public static byte[] NewKey() => PinnedRandom(KeySize);

    /// <summary>New random bytes in pinned memory.</summary>
    public static byte[] PinnedRandom(int length)
    {
        var key = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        RandomNumberGenerator.Fill(key);
        return key;
    }

    /// <summary>
    /// Parses a 32-byte key written as 64 hexadecimal characters or as base64, into pinned memory.
    /// Returns null when the text is neither.
    /// </summary>
    public static byte[]? ParseText(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        Span<byte> buffer = stackalloc byte[64];
        try
        {
            if (text.Length == KeySize * 2 && Convert.FromHexString(text, buffer, out _, out var written) == System.Buffers.OperationStatus.Done && written == KeySize)
            {
                return PinnedCopy(buffer[..KeySize]);
            }

            if (Convert.TryFromBase64Chars(text, buffer, out written) && written == KeySize)
            {
                return PinnedCopy(buffer[..KeySize]);
            }

            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
