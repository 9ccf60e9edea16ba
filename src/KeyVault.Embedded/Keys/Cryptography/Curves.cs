using System.Security.Cryptography;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>The four curves of Azure Key Vault's EC keys, and what each implies (size, signature algorithm).</summary>
internal static class Curves
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P256KOid = "1.3.132.0.10";
    private const string P384Oid = "1.3.132.0.34";
    private const string P521Oid = "1.3.132.0.35";

    /// <summary>Azure's name for a curve a JSON Web Key may also name as JOSE does (RFC 8812: <c>secp256k1</c> for P-256K).</summary>
    public static KeyCurveName Canonical(KeyCurveName curve) =>
        string.Equals(curve.Value, "secp256k1", StringComparison.Ordinal) ? KeyCurveName.P256K : curve;

    public static bool IsSupported(KeyCurveName curve) =>
        curve == KeyCurveName.P256 || curve == KeyCurveName.P256K || curve == KeyCurveName.P384 || curve == KeyCurveName.P521;

    public static ECCurve ToEcCurve(KeyCurveName curve) => curve.Value switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-256K" => ECCurve.CreateFromValue(P256KOid),
        "P-384" => ECCurve.NamedCurves.nistP384,
        "P-521" => ECCurve.NamedCurves.nistP521,
        _ => throw VaultErrors.BadParameter($"Curve '{curve}' is not supported: use P-256, P-256K, P-384 or P-521."),
    };

    public static KeyCurveName FromOid(Oid oid) => oid.Value switch
    {
        P256Oid => KeyCurveName.P256,
        P256KOid => KeyCurveName.P256K,
        P384Oid => KeyCurveName.P384,
        P521Oid => KeyCurveName.P521,
        _ => oid.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" or "secp256r1" => KeyCurveName.P256,
            "secp256k1" or "secP256k1" => KeyCurveName.P256K,
            "nistP384" or "ECDSA_P384" or "secp384r1" => KeyCurveName.P384,
            "nistP521" or "ECDSA_P521" or "secp521r1" => KeyCurveName.P521,
            _ => throw VaultErrors.BadParameter($"Curve '{oid.FriendlyName ?? oid.Value}' is not supported: use P-256, P-256K, P-384 or P-521."),
        },
    };

    /// <summary>Bytes in one coordinate (and in each of r and s).</summary>
    public static int CoordinateSize(KeyCurveName curve) => curve.Value switch
    {
        "P-256" or "P-256K" => 32,
        "P-384" => 48,
        "P-521" => 66,
        _ => throw VaultErrors.BadParameter($"Curve '{curve}' is not supported: use P-256, P-256K, P-384 or P-521."),
    };

    /// <summary>The one signature algorithm each curve signs with.</summary>
    public static SignatureAlgorithm SignatureAlgorithm(KeyCurveName curve) => curve.Value switch
    {
        "P-256" => Cryptography.SignatureAlgorithm.ES256,
        "P-256K" => Cryptography.SignatureAlgorithm.ES256K,
        "P-384" => Cryptography.SignatureAlgorithm.ES384,
        "P-521" => Cryptography.SignatureAlgorithm.ES512,
        _ => throw VaultErrors.BadParameter($"Curve '{curve}' is not supported: use P-256, P-256K, P-384 or P-521."),
    };
}
