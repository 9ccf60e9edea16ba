using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11.Keys;

/// <summary>
/// An RSA-HSM key: signing (PKCS#1 v1.5 over a DigestInfo, PSS), decryption and unwrapping run in the token; the
/// public operations (encrypt, wrap, verify) run in software from the public key.
/// </summary>
internal sealed class Pkcs11RsaKey : CryptoKey
{
    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _privateKey;
    private readonly CryptoKey _publicKey;

    public Pkcs11RsaKey(Pkcs11Token token, IObjectHandle privateKey, CryptoKey publicKey)
        : base(KeyType.Rsa, hasPrivateKey: true)
    {
        _token = token;
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    public override EncryptOutput Encrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> plaintext, byte[]? iv, byte[]? additionalAuthenticatedData) =>
        _publicKey.Encrypt(algorithm, plaintext, iv, additionalAuthenticatedData);

    public override byte[] WrapKey(KeyWrapAlgorithm algorithm, byte[] key) => _publicKey.WrapKey(algorithm, key);

    public override bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) =>
        _publicKey.Verify(algorithm, digest, signature);

    public override byte[] Decrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return Decrypt(algorithm.Value, info, ciphertext.ToArray());
    }

    public override byte[] UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        return Decrypt(algorithm.Value, info, encryptedKey);
    }

    public override byte[] Sign(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        RequireDigestLength(info, algorithm, digest);
        IMechanism mechanism;
        byte[] input;
        if (info.Padding == System.Security.Cryptography.RSASignaturePadding.Pss)
        {
            _token.Require(CKM.CKM_RSA_PKCS_PSS, $"{algorithm} signing");
            mechanism = RsaMechanisms.Pss(RsaMechanisms.Hash(info.Hash.Name!), info.DigestLength);
            input = digest.ToArray();
        }
        else
        {
            _token.Require(CKM.CKM_RSA_PKCS, $"{algorithm} signing");
            mechanism = Pkcs11Token.Mechanism(CKM.CKM_RSA_PKCS);
            input = [.. RsaMechanisms.DigestInfoPrefix(info.Hash.Name!), .. digest];
        }

        return _token.Run($"{algorithm} signing", session => session.Sign(mechanism, _privateKey, input));
    }

    public override void Dispose() => _publicKey.Dispose();

    private byte[] Decrypt(string algorithm, Algorithms.EncryptionInfo info, byte[] ciphertext)
    {
        IMechanism mechanism;
        if (info.Padding == System.Security.Cryptography.RSAEncryptionPadding.Pkcs1)
        {
            _token.Require(CKM.CKM_RSA_PKCS, $"{algorithm} decryption");
            mechanism = Pkcs11Token.Mechanism(CKM.CKM_RSA_PKCS);
        }
        else
        {
            var hash = RsaMechanisms.Hash(info.Padding!.OaepHashAlgorithm.Name!);
            if (!_token.SupportsOaep(hash))
            {
                throw Pkcs11Errors.MechanismNotSupported(_token.Label, $"CKM_RSA_PKCS_OAEP with {info.Padding.OaepHashAlgorithm.Name}", $"{algorithm} decryption");
            }

            mechanism = RsaMechanisms.Oaep(hash);
        }

        try
        {
            return _token.Run($"{algorithm} decryption", session => session.Decrypt(mechanism, _privateKey, ciphertext));
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR or CKR.CKR_DATA_INVALID)
        {
            throw DecryptionFailed(algorithm, ex);
        }
    }
}
