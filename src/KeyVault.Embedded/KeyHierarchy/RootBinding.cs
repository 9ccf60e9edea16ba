using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>
/// The built-in roots' <see cref="IRootKey.DeriveKeyAsync"/>: RFC 3394 key wrap is deterministic (a fixed IV), so wrapping
/// a digest of the context with the root key gives bytes only the root can produce, the same in software and in a token.
/// </summary>
internal static class RootBinding
{
    /// <param name="digest">SHA-256 of the context (32 bytes, a valid RFC 3394 input).</param>
    /// <param name="wrap">The root's RFC 3394 wrap.</param>
    /// <returns>SHA-256 of the 40-byte wrap, in pinned memory.</returns>
    public static byte[] FromWrap(byte[] digest, Func<byte[], byte[]> wrap)
    {
        var wrapped = wrap(digest);
        try
        {
            var key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
            SHA256.HashData(wrapped, key);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapped);
            CryptographicOperations.ZeroMemory(digest);
        }
    }
}
