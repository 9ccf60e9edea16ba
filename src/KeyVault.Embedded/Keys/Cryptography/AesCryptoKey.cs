using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;
using Org.BouncyCastle.Crypto.Engines;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// An oct (AES) key: AES-GCM and AES-CBC with PKCS#7 padding through .NET, AES key wrap (RFC 3394) through
/// BouncyCastle. The key bytes live in pinned memory owned by this object and are zeroed on dispose.
/// </summary>
/// <remarks>
/// BouncyCastle's key wrap is called from a method of its own that the JIT does not inline: inlined into the operation
/// path, the wrap lost its own inlining of the AES block function and of its array copies (the JIT's budget was
/// spent), which measured 10-30% slower than the same call made directly.
/// </remarks>
internal sealed class AesCryptoKey : CryptoKey
{
    private const int GcmNonceSize = 12;
    private const int GcmTagSize = 16;
    private const int CbcIvSize = 16;

    private readonly PinnedSecret _key;
    private readonly ObjectPool<AesGcm> _gcm;
    private readonly ObjectPool<Aes> _cbc;
    private readonly ObjectPool<Rfc3394WrapEngine> _wrap;
    private readonly ObjectPool<Rfc3394WrapEngine> _unwrap;

    /// <param name="key">The key; ownership passes to this object.</param>
    public AesCryptoKey(PinnedSecret key)
        : base(KeyType.Oct, hasPrivateKey: true)
    {
        _key = key;
        _gcm = new ObjectPool<AesGcm>(() => new AesGcm(_key.Span, GcmTagSize));
        _cbc = new ObjectPool<Aes>(() =>
        {
            var aes = Aes.Create();
            var copy = _key.Span.ToArray();
            aes.Key = copy; // the setter copies; Aes zeroes its copy on dispose
            CryptographicOperations.ZeroMemory(copy);
            return aes;
        });
        _wrap = new ObjectPool<Rfc3394WrapEngine>(() => AesKeyWrap.CreateEngine(_key.Span, forWrapping: true));
        _unwrap = new ObjectPool<Rfc3394WrapEngine>(() => AesKeyWrap.CreateEngine(_key.Span, forWrapping: false));
    }

    public int KeyBits => _key.Length * 8;

    public override EncryptOutput Encrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> plaintext, byte[]? iv, byte[]? additionalAuthenticatedData)
    {
        var info = CheckAlgorithm(Algorithms.Describe(algorithm), algorithm.Value);
        if (info.Mode == Algorithms.EncryptionMode.Gcm)
        {
            if (iv is not null)
            {
                throw VaultErrors.BadParameter($"{algorithm} takes no IV from the caller: the vault makes a fresh random one for every encryption, since a repeated GCM IV breaks its security.");
            }

            var nonce = RandomNumberGenerator.GetBytes(GcmNonceSize);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[GcmTagSize];
            var gcm = _gcm.Rent();
            try
            {
                gcm.Encrypt(nonce, plaintext, ciphertext, tag, additionalAuthenticatedData);
            }
            finally
            {
                _gcm.Return(gcm);
            }

            return new EncryptOutput(ciphertext, nonce, tag);
        }

        if (iv is not null && iv.Length != CbcIvSize)
        {
            throw VaultErrors.BadParameter($"{algorithm} needs a {CbcIvSize}-byte IV; {iv.Length} bytes were given.");
        }

        var cbcIv = iv ?? RandomNumberGenerator.GetBytes(CbcIvSize);
        var aes = _cbc.Rent();
        try
        {
            return new EncryptOutput(aes.EncryptCbc(plaintext, cbcIv, PaddingMode.PKCS7), cbcIv, null);
        }
        finally
        {
            _cbc.Return(aes);
        }
    }

    public override byte[] Decrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        var info = CheckAlgorithm(Algorithms.Describe(algorithm), algorithm.Value);
        if (info.Mode == Algorithms.EncryptionMode.Gcm)
        {
            if (iv is not { Length: GcmNonceSize } || authenticationTag is not { Length: GcmTagSize })
            {
                throw VaultErrors.BadParameter($"{algorithm} decryption needs the {GcmNonceSize}-byte IV and the {GcmTagSize}-byte authentication tag from the encryption.");
            }

            var plaintext = new byte[ciphertext.Length];
            var gcm = _gcm.Rent();
            try
            {
                gcm.Decrypt(iv, ciphertext, authenticationTag, plaintext, additionalAuthenticatedData);
                return plaintext;
            }
            catch (CryptographicException ex)
            {
                CryptographicOperations.ZeroMemory(plaintext);
                throw DecryptionFailed(algorithm.Value, ex);
            }
            finally
            {
                _gcm.Return(gcm);
            }
        }

        if (iv is not { Length: CbcIvSize })
        {
            throw VaultErrors.BadParameter($"{algorithm} decryption needs the {CbcIvSize}-byte IV from the encryption.");
        }

        var aes = _cbc.Rent();
        try
        {
            return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException ex)
        {
            throw DecryptionFailed(algorithm.Value, ex);
        }
        finally
        {
            _cbc.Return(aes);
        }
    }

    public override byte[] WrapKey(KeyWrapAlgorithm algorithm, byte[] key)
    {
        CheckAlgorithm(Algorithms.Describe(algorithm), algorithm.Value);
        if (key.Length < 16 || key.Length % 8 != 0)
        {
            throw VaultErrors.BadParameter($"{algorithm} wraps keys of at least 16 bytes in multiples of 8 (RFC 3394); {key.Length} bytes were given.");
        }

        var engine = _wrap.Rent();
        try
        {
            return Wrap(engine, key);
        }
        finally
        {
            _wrap.Return(engine);
        }
    }

    public override byte[] UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey)
    {
        CheckAlgorithm(Algorithms.Describe(algorithm), algorithm.Value);
        if (encryptedKey.Length < 24 || encryptedKey.Length % 8 != 0)
        {
            throw VaultErrors.BadParameter($"{algorithm} unwraps inputs of at least 24 bytes in multiples of 8 (RFC 3394); {encryptedKey.Length} bytes were given.");
        }

        var engine = _unwrap.Rent();
        try
        {
            return Unwrap(engine, encryptedKey);
        }
        catch (Org.BouncyCastle.Crypto.InvalidCipherTextException ex)
        {
            throw DecryptionFailed(algorithm.Value, ex);
        }
        finally
        {
            _unwrap.Return(engine);
        }
    }

    public override void Dispose()
    {
        _gcm.Dispose();
        _cbc.Dispose();
        _wrap.Dispose();
        _unwrap.Dispose();
        _key.Dispose();
    }

    // The BouncyCastle calls as roots of their own: see the class remarks.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte[] Wrap(Rfc3394WrapEngine engine, byte[] key) => engine.Wrap(key, 0, key.Length);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte[] Unwrap(Rfc3394WrapEngine engine, byte[] wrapped) => engine.Unwrap(wrapped, 0, wrapped.Length);

    private Algorithms.EncryptionInfo CheckAlgorithm(Algorithms.EncryptionInfo info, string algorithm)
    {
        RequireFamily(info.Family, algorithm);
        RequireKeyBits(info, KeyBits, algorithm);
        return info;
    }
}
