using System.Security.Cryptography;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// One key's cryptographic operations, ready to run: the key material loaded once into reusable primitive objects.
/// Implementations: software RSA, EC and AES here; PKCS#11 token keys in the PKCS#11 package. An implementation
/// checks that an algorithm suits its key (family, curve, size) and throws <c>BadParameter</c> otherwise; the
/// caller has already checked the key's state and allowed operations.
/// </summary>
internal abstract class CryptoKey : IDisposable
{
    protected CryptoKey(KeyType family, bool hasPrivateKey)
    {
        Family = family;
        HasPrivateKey = hasPrivateKey;
    }

    /// <summary><see cref="KeyType.Rsa"/>, <see cref="KeyType.Ec"/> or <see cref="KeyType.Oct"/>.</summary>
    public KeyType Family { get; }

    /// <summary>Whether private operations (decrypt, unwrap, sign; every oct operation) are possible.</summary>
    public bool HasPrivateKey { get; }

    public virtual EncryptOutput Encrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> plaintext, byte[]? iv, byte[]? additionalAuthenticatedData) =>
        throw WrongFamily(algorithm.Value);

    public virtual byte[] Decrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData) =>
        throw WrongFamily(algorithm.Value);

    public virtual byte[] WrapKey(KeyWrapAlgorithm algorithm, byte[] key) => throw WrongFamily(algorithm.Value);

    public virtual byte[] UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey) => throw WrongFamily(algorithm.Value);

    public virtual byte[] Sign(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest) => throw WrongFamily(algorithm.Value);

    public virtual bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) => throw WrongFamily(algorithm.Value);

    public abstract void Dispose();

    protected VaultException WrongFamily(string algorithm) =>
        VaultErrors.BadParameter($"Algorithm '{algorithm}' is not valid for a key of type {Family}.");

    protected void RequireFamily(KeyType family, string algorithm)
    {
        if (family != Family)
        {
            throw WrongFamily(algorithm);
        }
    }

    protected void RequirePrivateKey()
    {
        if (!HasPrivateKey)
        {
            throw VaultErrors.BadParameter("This operation needs the private key, and this client holds only the public key.");
        }
    }

    protected static void RequireDigestLength(Algorithms.SignatureInfo info, SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        if (digest.Length != info.DigestLength)
        {
            throw VaultErrors.BadParameter(
                $"Algorithm '{algorithm}' signs a {info.DigestLength}-byte {info.Hash.Name} digest; {digest.Length} bytes were given.");
        }
    }

    protected static void RequireKeyBits(Algorithms.EncryptionInfo info, int keyBits, string algorithm)
    {
        if (info.KeyBits != keyBits)
        {
            throw VaultErrors.BadParameter($"Algorithm '{algorithm}' needs a {info.KeyBits}-bit key; this key has {keyBits} bits.");
        }
    }

    /// <summary>A decryption or unwrap that fails says so without detail: no padding or tag oracle beyond pass/fail.</summary>
    protected static VaultException DecryptionFailed(string algorithm, Exception inner) =>
        new(VaultErrorCode.BadParameter, 400, $"{algorithm} decryption failed: the ciphertext, IV, tag or additional data is wrong for this key.", inner);
}

/// <summary>The result of an encryption: ciphertext, and for AES the IV (and GCM tag) to keep beside it.</summary>
internal readonly record struct EncryptOutput(byte[] Ciphertext, byte[]? Iv, byte[]? AuthenticationTag);
