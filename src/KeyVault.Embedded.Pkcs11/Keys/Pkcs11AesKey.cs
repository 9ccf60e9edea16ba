using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11.Keys;

/// <summary>An oct-HSM key: AES-GCM, AES-CBC with padding and AES key wrap, all in the token.</summary>
internal sealed class Pkcs11AesKey : CryptoKey
{
    private const int GcmNonceSize = 12;
    private const int GcmTagSize = 16;
    private const int CbcIvSize = 16;

    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _key;
    private readonly int _keyBits;

    public Pkcs11AesKey(Pkcs11Token token, IObjectHandle key, int keyBits)
        : base(KeyType.Oct, hasPrivateKey: true)
    {
        _token = token;
        _key = key;
        _keyBits = keyBits;
    }

    public override EncryptOutput Encrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> plaintext, byte[]? iv, byte[]? additionalAuthenticatedData)
    {
        var info = Check(Algorithms.Describe(algorithm), algorithm.Value);
        var input = plaintext.ToArray();
        if (info.Mode == Algorithms.EncryptionMode.Gcm)
        {
            if (iv is not null)
            {
                throw VaultErrors.BadParameter($"{algorithm} takes no IV from the caller: the vault makes a fresh random one for every encryption, since a repeated GCM IV breaks its security.");
            }

            _token.Require(CKM.CKM_AES_GCM, $"{algorithm} encryption");
            var nonce = RandomNumberGenerator.GetBytes(GcmNonceSize);
            var output = _token.Run($"{algorithm} encryption", session => session.Encrypt(Gcm(nonce, additionalAuthenticatedData), _key, input));
            return new EncryptOutput(output[..^GcmTagSize], nonce, output[^GcmTagSize..]);
        }

        if (iv is not null && iv.Length != CbcIvSize)
        {
            throw VaultErrors.BadParameter($"{algorithm} needs a {CbcIvSize}-byte IV; {iv.Length} bytes were given.");
        }

        _token.Require(CKM.CKM_AES_CBC_PAD, $"{algorithm} encryption");
        var cbcIv = iv ?? RandomNumberGenerator.GetBytes(CbcIvSize);
        return new EncryptOutput(_token.Run($"{algorithm} encryption", session => session.Encrypt(Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_CBC_PAD, cbcIv), _key, input)), cbcIv, null);
    }

    public override byte[] Decrypt(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> ciphertext, byte[]? iv, byte[]? authenticationTag, byte[]? additionalAuthenticatedData)
    {
        var info = Check(Algorithms.Describe(algorithm), algorithm.Value);
        IMechanism mechanism;
        byte[] input;
        if (info.Mode == Algorithms.EncryptionMode.Gcm)
        {
            if (iv is not { Length: GcmNonceSize } || authenticationTag is not { Length: GcmTagSize })
            {
                throw VaultErrors.BadParameter($"{algorithm} decryption needs the {GcmNonceSize}-byte IV and the {GcmTagSize}-byte authentication tag from the encryption.");
            }

            _token.Require(CKM.CKM_AES_GCM, $"{algorithm} decryption");
            mechanism = Gcm(iv, additionalAuthenticatedData);
            input = [.. ciphertext, .. authenticationTag];
        }
        else
        {
            if (iv is not { Length: CbcIvSize })
            {
                throw VaultErrors.BadParameter($"{algorithm} decryption needs the {CbcIvSize}-byte IV from the encryption.");
            }

            _token.Require(CKM.CKM_AES_CBC_PAD, $"{algorithm} decryption");
            mechanism = Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_CBC_PAD, iv);
            input = ciphertext.ToArray();
        }

        try
        {
            return _token.Run($"{algorithm} decryption", session => session.Decrypt(mechanism, _key, input));
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR or CKR.CKR_DATA_INVALID)
        {
            throw DecryptionFailed(algorithm.Value, ex);
        }
    }

    public override byte[] WrapKey(KeyWrapAlgorithm algorithm, byte[] key)
    {
        Check(Algorithms.Describe(algorithm), algorithm.Value);
        if (key.Length < 16 || key.Length % 8 != 0)
        {
            throw VaultErrors.BadParameter($"{algorithm} wraps keys of at least 16 bytes in multiples of 8 (RFC 3394); {key.Length} bytes were given.");
        }

        _token.Require(CKM.CKM_AES_KEY_WRAP, $"{algorithm} wrapping");
        return _token.Run($"{algorithm} wrapping", session => Pkcs11Token.WrapBytes(session, _key, key));
    }

    public override byte[] UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey)
    {
        Check(Algorithms.Describe(algorithm), algorithm.Value);
        if (encryptedKey.Length < 24 || encryptedKey.Length % 8 != 0)
        {
            throw VaultErrors.BadParameter($"{algorithm} unwraps inputs of at least 24 bytes in multiples of 8 (RFC 3394); {encryptedKey.Length} bytes were given.");
        }

        _token.Require(CKM.CKM_AES_KEY_WRAP, $"{algorithm} unwrapping");
        try
        {
            return _token.Run($"{algorithm} unwrapping", session => Pkcs11Token.UnwrapBytes(session, _key, encryptedKey));
        }
        catch (CryptographicException ex)
        {
            throw DecryptionFailed(algorithm.Value, ex);
        }
    }

    public override void Dispose()
    {
        // The key stays in the token; there is nothing in this process to zero.
    }

    private static IMechanism Gcm(byte[] nonce, byte[]? additionalAuthenticatedData) => Pkcs11Token.Factories.MechanismFactory.Create(
        CKM.CKM_AES_GCM,
        Pkcs11Token.Factories.MechanismParamsFactory.CreateCkGcmParams(nonce, (ulong)nonce.Length * 8, additionalAuthenticatedData ?? [], GcmTagSize * 8));

    private Algorithms.EncryptionInfo Check(Algorithms.EncryptionInfo info, string algorithm)
    {
        RequireFamily(info.Family, algorithm);
        RequireKeyBits(info, _keyBits, algorithm);
        return info;
    }
}
