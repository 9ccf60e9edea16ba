using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>An EC key on .NET's ECDsa (OpenSSL): sign/verify a digest, with JWS r‖s signatures.</summary>
internal sealed class EcCryptoKey : CryptoKey
{
    private readonly ObjectPool<ECDsa> _pool;
    private readonly IDisposable? _material;

    public EcCryptoKey(KeyCurveName curve, Func<ECDsa> create, bool hasPrivateKey, IDisposable? material)
        : base(KeyType.Ec, hasPrivateKey)
    {
        Curve = curve;
        _pool = new ObjectPool<ECDsa>(create);
        _material = material;
    }

    public KeyCurveName Curve { get; }

    /// <summary>From PKCS#8 DER (the sealed form of a vault EC key); the bytes are copied into pinned memory.</summary>
    public static EcCryptoKey FromPkcs8(KeyCurveName curve, ReadOnlySpan<byte> pkcs8)
    {
        var material = PinnedSecret.CopyOf(pkcs8);
        return new EcCryptoKey(
            curve,
            () =>
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(material.Span, out _);
                return ecdsa;
            },
            hasPrivateKey: true,
            material);
    }

    public override byte[] Sign(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        CheckAlgorithm(algorithm, digest);
        RequirePrivateKey();
        var ecdsa = _pool.Rent();
        try
        {
            return ecdsa.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            _pool.Return(ecdsa);
        }
    }

    public override bool Verify(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        CheckAlgorithm(algorithm, digest);
        var ecdsa = _pool.Rent();
        try
        {
            return ecdsa.VerifyHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            _pool.Return(ecdsa);
        }
    }

    public override void Dispose()
    {
        _pool.Dispose();
        _material?.Dispose();
    }

    /// <summary>Checks that the algorithm signs on this key's curve and that the digest has its hash's length.</summary>
    internal void CheckAlgorithm(SignatureAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        var info = Algorithms.Describe(algorithm);
        RequireFamily(info.Family, algorithm.Value);
        if (info.Curve != Curve)
        {
            throw VaultErrors.BadParameter($"Algorithm '{algorithm}' signs with curve {info.Curve}; this key is on {Curve} (use {Curves.SignatureAlgorithm(Curve)}).");
        }

        RequireDigestLength(info, algorithm, digest);
    }
}
