using System.Security.Cryptography;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// A .NET <see cref="RSA"/> whose private operations (sign, decrypt) are done by the vault: in software for a vault
/// key, in the token for an RSA-HSM key. The private key never enters this object; public operations run locally.
/// Lets .NET APIs that take an <see cref="RSA"/> (certificate requests, signed XML, CMS) use vault keys.
/// </summary>
internal sealed class RemoteRsa : RSA
{
    private readonly RSAParameters _public;
    private readonly Func<SignatureAlgorithm, byte[], byte[]> _sign;
    private readonly Func<EncryptionAlgorithm, byte[], byte[]> _decrypt;
    private readonly IDisposable? _owner;
    private readonly Lazy<RSA> _local;

    public RemoteRsa(RSAParameters publicParameters, Func<SignatureAlgorithm, byte[], byte[]> sign, Func<EncryptionAlgorithm, byte[], byte[]> decrypt, IDisposable? owner)
    {
        _public = publicParameters;
        _sign = sign;
        _decrypt = decrypt;
        _owner = owner;
        _local = new Lazy<RSA>(() => RSA.Create(_public));
        KeySizeValue = publicParameters.Modulus!.Length * 8;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override RSAParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters
            ? throw new CryptographicException("The private key stays in the vault; only the public key can be exported.")
            : new RSAParameters { Modulus = _public.Modulus!.ToArray(), Exponent = _public.Exponent!.ToArray() };

    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException("A vault key cannot be replaced.");

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        _sign(new SignatureAlgorithm((padding == RSASignaturePadding.Pss ? "PS" : "RS") + Bits(hashAlgorithm)), hash);

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        _local.Value.VerifyHash(hash, signature, hashAlgorithm, padding);

    public override byte[] Encrypt(byte[] data, RSAEncryptionPadding padding) => _local.Value.Encrypt(data, padding);

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding) => _decrypt(padding.Mode == RSAEncryptionPaddingMode.Pkcs1
        ? EncryptionAlgorithm.Rsa15
        : padding.OaepHashAlgorithm == HashAlgorithmName.SHA256 ? EncryptionAlgorithm.RsaOaep256 : EncryptionAlgorithm.RsaOaep, data);

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

    private static string Bits(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA256" => "256",
        "SHA384" => "384",
        "SHA512" => "512",
        _ => throw new CryptographicException($"Vault RSA keys sign SHA-256, SHA-384 or SHA-512 digests, not {hash.Name}."),
    };
}
