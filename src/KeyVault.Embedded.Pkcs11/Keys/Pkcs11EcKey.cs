using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11.Keys;

/// <summary>
/// An EC-HSM key: the caller's digest is signed in the token with raw <c>CKM_ECDSA</c> (which returns r‖s, the JWS
/// form; tokens such as SoftHSM lack <c>CKM_ECDSA_SHA256</c>, and the vault signs digests anyway). Verification runs
/// in software from the public key.
/// </summary>
internal sealed class Pkcs11EcKey : CryptoKey
{
    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _privateKey;
    private readonly EcCryptoKey _publicKey;

    public Pkcs11EcKey(Pkcs11Token token, IObjectHandle privateKey, EcCryptoKey publicKey)
        : base(KeyType.Ec, hasPrivateKey: true)
    {
        _token = token;
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    public override byte[] Sign(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        _publicKey.CheckAlgorithm(algorithm, digest);
        _token.Require(CKM.CKM_ECDSA, $"{algorithm} signing");
        var input = digest.ToArray();
        var signature = _token.Run($"{algorithm} signing", session => session.Sign(Pkcs11Token.Mechanism(CKM.CKM_ECDSA), _privateKey, input));
        var expected = 2 * Curves.CoordinateSize(_publicKey.Curve);
        if (signature.Length != expected)
        {
            throw Pkcs11Errors.MechanismNotSupported(_token.Label, $"CKM_ECDSA signatures of {expected} bytes (r||s)", $"{algorithm} signing");
        }

        return signature;
    }

    public override bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) =>
        _publicKey.Verify(algorithm, digest, signature);

    public override void Dispose() => _publicKey.Dispose();
}
