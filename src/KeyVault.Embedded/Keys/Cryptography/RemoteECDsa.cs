using System.Security.Cryptography;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// A .NET <see cref="ECDsa"/> whose signatures are made by the vault (in software, or in the token for an EC-HSM key).
/// The private key never enters this object; verification runs locally.
/// </summary>
internal sealed class RemoteECDsa : ECDsa
{
    private readonly ECParameters _public;
    private readonly KeyCurveName _curve;
    private readonly Func<SignatureAlgorithm, byte[], byte[]> _sign;
    private readonly IDisposable? _owner;
    private readonly Lazy<ECDsa> _local;

    public RemoteECDsa(ECParameters publicParameters, KeyCurveName curve, Func<SignatureAlgorithm, byte[], byte[]> sign, IDisposable? owner)
    {
        _public = publicParameters;
        _curve = curve;
        _sign = sign;
        _owner = owner;
        _local = new Lazy<ECDsa>(() => ECDsa.Create(_public));
        KeySizeValue = curve == KeyCurveName.P521 ? 521 : Curves.CoordinateSize(curve) * 8;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override ECParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters
            ? throw new CryptographicException("The private key stays in the vault; only the public key can be exported.")
            : new ECParameters { Curve = _public.Curve, Q = new ECPoint { X = _public.Q.X!.ToArray(), Y = _public.Q.Y!.ToArray() } };

    public override ECParameters ExportExplicitParameters(bool includePrivateParameters) =>
        throw new NotSupportedException("Vault EC keys export named-curve parameters only.");

    public override void ImportParameters(ECParameters parameters) => throw new NotSupportedException("A vault key cannot be replaced.");

    public override void GenerateKey(ECCurve curve) => throw new NotSupportedException("A vault key cannot be replaced.");

    public override byte[] SignHash(byte[] hash) => _sign(Curves.SignatureAlgorithm(_curve), hash);

    public override bool VerifyHash(byte[] hash, byte[] signature) => _local.Value.VerifyHash(hash, signature);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _owner?.Dispose();
            if (_local.IsValueCreated)
            {
                _local.Value.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
