using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>An RSA key on .NET's RSA (OpenSSL): encrypt/decrypt, wrap/unwrap (OAEP) and sign/verify (PKCS#1 v1.5, PSS).</summary>
internal sealed class RsaCryptoKey : CryptoKey
{
    /// <summary>Below this size a signing failure is the key's size (too small for SHA-512 with PSS at 1,040 bits).</summary>
    private const int MinimumSigningKeySize = 2048;

    private readonly ObjectPool<RSA> _pool;
    private readonly IDisposable? _material;

    /// <param name="create">Builds one RSA object with the key (called once per concurrent user).</param>
    /// <param name="hasPrivateKey">Whether the objects hold the private key.</param>
    /// <param name="material">Key bytes <paramref name="create"/> reads; disposed (zeroed) with this key.</param>
    public RsaCryptoKey(Func<RSA> create, bool hasPrivateKey, IDisposable? material)
        : base(KeyType.Rsa, hasPrivateKey)
    {
        _pool = new ObjectPool<RSA>(create);
        _material = material;
    }

    /// <summary>From PKCS#8 DER (the sealed form of a vault RSA key); the bytes are copied into pinned memory.</summary>
    public static RsaCryptoKey FromPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var material = PinnedSecret.CopyOf(pkcs8);
        return new RsaCryptoKey(
            () =>
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(material.Span, out _);
                return rsa;
            },
            hasPrivateKey: true,
            material);
    }

    public override EncryptOutput Encrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> plaintext, byte[]? iv, byte[]? additionalAuthenticatedData)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return new EncryptOutput(RsaEncrypt(algorithm.Value, info.Padding!, plaintext), null, null);
    }

    public override byte[] Decrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return RsaDecrypt(algorithm.Value, info.Padding!, ciphertext);
    }

    public override byte[] WrapKey(KeyWrapAlgorithm algorithm, byte[] key)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return RsaEncrypt(algorithm.Value, info.Padding!, key);
    }

    public override byte[] UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return RsaDecrypt(algorithm.Value, info.Padding!, encryptedKey);
    }

    public override byte[] Sign(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        RequireDigestLength(info, algorithm, digest);
        RequirePrivateKey();
        var rsa = _pool.Rent();
        try
        {
            return rsa.SignHash(digest, info.Hash, info.Padding!);
        }
        catch (CryptographicException) when (rsa.KeySize < MinimumSigningKeySize)
        {
            // Only a key given from outside (a local client's JWK) can be this small: the vault makes 2048 bits at least.
            throw VaultErrors.BadParameter($"{algorithm} cannot sign with a {rsa.KeySize}-bit RSA key: the key is too small for the algorithm's hash and padding.");
        }
        finally
        {
            _pool.Return(rsa);
        }
    }

    public override bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        RequireDigestLength(info, algorithm, digest);
        var rsa = _pool.Rent();
        try
        {
            return rsa.VerifyHash(digest, signature, info.Hash, info.Padding!);
        }
        catch (CryptographicException) when (rsa.KeySize < MinimumSigningKeySize)
        {
            return false; // a key too small for the algorithm signs nothing under it, so no signature verifies
        }
        finally
        {
            _pool.Return(rsa);
        }
    }

    public override void Dispose()
    {
        _pool.Dispose();
        _material?.Dispose();
    }

    private byte[] RsaEncrypt(string algorithm, RSAEncryptionPadding padding, ReadOnlySpan<byte> plaintext)
    {
        var rsa = _pool.Rent();
        try
        {
            return rsa.Encrypt(plaintext, padding);
        }
        catch (CryptographicException ex)
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400,
                $"{algorithm} cannot encrypt {plaintext.Length} bytes with a {rsa.KeySize}-bit key: the input is too long for the padding.", ex);
        }
        finally
        {
            _pool.Return(rsa);
        }
    }

    private byte[] RsaDecrypt(string algorithm, RSAEncryptionPadding padding, ReadOnlySpan<byte> ciphertext)
    {
        RequirePrivateKey();
        var rsa = _pool.Rent();
        try
        {
            return rsa.Decrypt(ciphertext, padding);
        }
        catch (CryptographicException ex)
        {
            throw DecryptionFailed(algorithm, ex);
        }
        finally
        {
            _pool.Return(rsa);
        }
    }
}
