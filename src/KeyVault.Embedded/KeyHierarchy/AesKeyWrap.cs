using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>
/// AES key wrap, RFC 3394, through BouncyCastle (.NET has only the padded RFC 5649 form). The engine comes from
/// <c>AesUtilities.CreateEngine()</c>, which uses AES-NI; BouncyCastle's plain <c>AesEngine</c> does not.
/// RFC 3394's integrity check makes a wrong key fail to unwrap rather than yield a wrong key.
/// </summary>
internal static class AesKeyWrap
{
    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key)
    {
        if (key.Length < 16 || key.Length % 8 != 0)
        {
            throw new ArgumentException("RFC 3394 wraps keys of at least 16 bytes in multiples of 8.", nameof(key));
        }

        var engine = new Rfc3394WrapEngine(AesUtilities.CreateEngine());
        engine.Init(forWrapping: true, new KeyParameter(kek));
        var input = key.ToArray();
        try
        {
            return engine.Wrap(input, 0, input.Length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <exception cref="CryptographicException">The integrity check failed: wrong key or altered input.</exception>
    public static byte[] Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        var engine = new Rfc3394WrapEngine(AesUtilities.CreateEngine());
        engine.Init(forWrapping: false, new KeyParameter(kek));
        var input = wrapped.ToArray();
        try
        {
            return engine.Unwrap(input, 0, input.Length);
        }
        catch (InvalidCipherTextException ex)
        {
            throw new CryptographicException("AES key unwrap failed its integrity check.", ex);
        }
    }
}
