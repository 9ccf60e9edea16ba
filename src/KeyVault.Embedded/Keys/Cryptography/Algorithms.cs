using System.Collections.Frozen;
using System.Security.Cryptography;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// What each JWA algorithm means: which key family runs it, with which hash, padding, curve or key size. Looked up
/// in frozen tables, so the hot path neither allocates nor compares strings one by one.
/// </summary>
internal static class Algorithms
{
    private static readonly FrozenDictionary<string, SignatureInfo> SignatureInfos = new Dictionary<string, SignatureInfo>
    {
        ["RS256"] = new(KeyType.Rsa, HashAlgorithmName.SHA256, 32, RSASignaturePadding.Pkcs1, null),
        ["RS384"] = new(KeyType.Rsa, HashAlgorithmName.SHA384, 48, RSASignaturePadding.Pkcs1, null),
        ["RS512"] = new(KeyType.Rsa, HashAlgorithmName.SHA512, 64, RSASignaturePadding.Pkcs1, null),
        ["PS256"] = new(KeyType.Rsa, HashAlgorithmName.SHA256, 32, RSASignaturePadding.Pss, null),
        ["PS384"] = new(KeyType.Rsa, HashAlgorithmName.SHA384, 48, RSASignaturePadding.Pss, null),
        ["PS512"] = new(KeyType.Rsa, HashAlgorithmName.SHA512, 64, RSASignaturePadding.Pss, null),
        ["ES256"] = new(KeyType.Ec, HashAlgorithmName.SHA256, 32, null, KeyCurveName.P256),
        ["ES256K"] = new(KeyType.Ec, HashAlgorithmName.SHA256, 32, null, KeyCurveName.P256K),
        ["ES384"] = new(KeyType.Ec, HashAlgorithmName.SHA384, 48, null, KeyCurveName.P384),
        ["ES512"] = new(KeyType.Ec, HashAlgorithmName.SHA512, 64, null, KeyCurveName.P521),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, EncryptionInfo> EncryptionInfos = new Dictionary<string, EncryptionInfo>
    {
        ["RSA1_5"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.Pkcs1),
        ["RSA-OAEP"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.OaepSHA1),
        ["RSA-OAEP-256"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.OaepSHA256),
        ["A128GCM"] = new(KeyType.Oct, 128, EncryptionMode.Gcm, null),
        ["A192GCM"] = new(KeyType.Oct, 192, EncryptionMode.Gcm, null),
        ["A256GCM"] = new(KeyType.Oct, 256, EncryptionMode.Gcm, null),
        ["A128CBCPAD"] = new(KeyType.Oct, 128, EncryptionMode.CbcPad, null),
        ["A192CBCPAD"] = new(KeyType.Oct, 192, EncryptionMode.CbcPad, null),
        ["A256CBCPAD"] = new(KeyType.Oct, 256, EncryptionMode.CbcPad, null),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, EncryptionInfo> WrapInfos = new Dictionary<string, EncryptionInfo>
    {
        ["RSA1_5"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.Pkcs1),
        ["RSA-OAEP"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.OaepSHA1),
        ["RSA-OAEP-256"] = new(KeyType.Rsa, 0, EncryptionMode.Rsa, RSAEncryptionPadding.OaepSHA256),
        ["A128KW"] = new(KeyType.Oct, 128, EncryptionMode.KeyWrap, null),
        ["A192KW"] = new(KeyType.Oct, 192, EncryptionMode.KeyWrap, null),
        ["A256KW"] = new(KeyType.Oct, 256, EncryptionMode.KeyWrap, null),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static SignatureInfo Describe(SignatureAlgorithm algorithm) =>
        algorithm.Value is { } name && SignatureInfos.TryGetValue(name, out var info)
            ? info
            : throw VaultErrors.BadParameter($"Signature algorithm '{algorithm}' is not supported: use RS256/384/512, PS256/384/512, ES256, ES256K, ES384 or ES512.");

    public static EncryptionInfo Describe(EncryptionAlgorithm algorithm) =>
        algorithm.Value is { } name && EncryptionInfos.TryGetValue(name, out var info)
            ? info
            : throw VaultErrors.BadParameter(
                $"Encryption algorithm '{algorithm}' is not supported: use RSA1_5, RSA-OAEP, RSA-OAEP-256, A128/192/256GCM or A128/192/256CBCPAD.");

    public static EncryptionInfo Describe(KeyWrapAlgorithm algorithm) =>
        algorithm.Value is { } name && WrapInfos.TryGetValue(name, out var info)
            ? info
            : throw VaultErrors.BadParameter($"Key wrap algorithm '{algorithm}' is not supported: use RSA1_5, RSA-OAEP, RSA-OAEP-256 or A128/192/256KW.");

    internal sealed record SignatureInfo(KeyType Family, HashAlgorithmName Hash, int DigestLength, RSASignaturePadding? Padding, KeyCurveName? Curve);

    internal sealed record EncryptionInfo(KeyType Family, int KeyBits, EncryptionMode Mode, RSAEncryptionPadding? Padding);

    internal enum EncryptionMode
    {
        Rsa,
        Gcm,
        CbcPad,
        KeyWrap,
    }
}
