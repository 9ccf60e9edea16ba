using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>PKCS#11 mechanisms for the RSA algorithms, with their parameters.</summary>
internal static class RsaMechanisms
{
    public static IMechanism Oaep(CKM hash) => Pkcs11Token.Factories.MechanismFactory.Create(
        CKM.CKM_RSA_PKCS_OAEP,
        Pkcs11Token.Factories.MechanismParamsFactory.CreateCkRsaPkcsOaepParams((ulong)hash, (ulong)Mgf(hash), (ulong)CKZ.CKZ_DATA_SPECIFIED, null));

    public static IMechanism Pss(CKM hash, int saltLength) => Pkcs11Token.Factories.MechanismFactory.Create(
        CKM.CKM_RSA_PKCS_PSS,
        Pkcs11Token.Factories.MechanismParamsFactory.CreateCkRsaPkcsPssParams((ulong)hash, (ulong)Mgf(hash), (ulong)saltLength));

    public static CKM Hash(string name) => name switch
    {
        "SHA1" => CKM.CKM_SHA_1,
        "SHA256" => CKM.CKM_SHA256,
        "SHA384" => CKM.CKM_SHA384,
        _ => CKM.CKM_SHA512,
    };

    /// <summary>
    /// The DER DigestInfo prefix (RFC 8017, section 9.2, note 1) that PKCS#1 v1.5 signing puts before the digest; with
    /// CKM_RSA_PKCS the token pads whatever it is given, so the prefix is added here.
    /// </summary>
    public static byte[] DigestInfoPrefix(string hash) => hash switch
    {
        "SHA256" => [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20],
        "SHA384" => [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30],
        _ => [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40],
    };

    private static CKG Mgf(CKM hash) => hash switch
    {
        CKM.CKM_SHA_1 => CKG.CKG_MGF1_SHA1,
        CKM.CKM_SHA256 => CKG.CKG_MGF1_SHA256,
        CKM.CKM_SHA384 => CKG.CKG_MGF1_SHA384,
        _ => CKG.CKG_MGF1_SHA512,
    };
}
