using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace KeyVault.Embedded.Benchmarks.Crypto;

/// <summary>
/// Each operation through the vault's <see cref="CryptographyClient"/> beside the raw primitive on the same key (the
/// key is made in .NET and imported, so both sides hold identical material). The vault path adds the operation
/// pipeline, the key state checks (enabled, key_ops, dates), a lease on the key and the result object.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class KeyOperationBenchmarks
{
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private ECDsa _ecdsa = null!;
    private RSA _rsa = null!;
    private AesGcm _gcm = null!;
    private Rfc3394WrapEngine _wrap = null!;
    private CryptographyClient _ecClient = null!;
    private CryptographyClient _rsaClient = null!;
    private CryptographyClient _octClient = null!;
    private byte[] _digest = null!;
    private byte[] _oaepCiphertext = null!;
    private byte[] _kilobyte = null!;
    private byte[] _keyToWrap = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _vault = _folder.OpenVault();
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rsa = RSA.Create(2048);
        var aesKey = RandomNumberGenerator.GetBytes(32);
        _gcm = new AesGcm(aesKey, 16);
        _wrap = new Rfc3394WrapEngine(AesUtilities.CreateEngine());
        _wrap.Init(true, new KeyParameter(aesKey));

        _vault.Keys.ImportKeyAsync("ec", new JsonWebKey(_ecdsa, includePrivateParameters: true)).GetAwaiter().GetResult();
        _vault.Keys.ImportKeyAsync("rsa", new JsonWebKey(_rsa, includePrivateParameters: true)).GetAwaiter().GetResult();
        _vault.Keys.ImportKeyAsync("oct", new JsonWebKey { KeyType = KeyType.Oct, K = aesKey }).GetAwaiter().GetResult();
        _ecClient = _vault.Keys.GetCryptographyClient("ec");
        _rsaClient = _vault.Keys.GetCryptographyClient("rsa");
        _octClient = _vault.Keys.GetCryptographyClient("oct");

        _digest = SHA256.HashData("benchmark"u8);
        _oaepCiphertext = _rsa.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
        _kilobyte = RandomNumberGenerator.GetBytes(1024);
        _keyToWrap = RandomNumberGenerator.GetBytes(32);

        // Load each key once, as a long-lived client would have.
        _ecClient.Sign(SignatureAlgorithm.ES256, _digest);
        _rsaClient.Sign(SignatureAlgorithm.PS256, _digest);
        _octClient.WrapKey(KeyWrapAlgorithm.A256KW, _keyToWrap);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ecClient.Dispose();
        _rsaClient.Dispose();
        _octClient.Dispose();
        _vault.Dispose();
        _ecdsa.Dispose();
        _rsa.Dispose();
        _gcm.Dispose();
        _folder.Dispose();
    }

    [BenchmarkCategory("ES256 sign"), Benchmark(Baseline = true, Description = "raw ECDsa.SignHash")]
    public byte[] RawEs256() => _ecdsa.SignHash(_digest);

    [BenchmarkCategory("ES256 sign"), Benchmark(Description = "vault Sign")]
    public byte[] VaultEs256() => _ecClient.Sign(SignatureAlgorithm.ES256, _digest).Signature;

    [BenchmarkCategory("PS256 sign (RSA-2048)"), Benchmark(Baseline = true, Description = "raw RSA.SignHash PSS")]
    public byte[] RawPs256() => _rsa.SignHash(_digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

    [BenchmarkCategory("PS256 sign (RSA-2048)"), Benchmark(Description = "vault Sign")]
    public byte[] VaultPs256() => _rsaClient.Sign(SignatureAlgorithm.PS256, _digest).Signature;

    [BenchmarkCategory("RSA-OAEP-256 decrypt"), Benchmark(Baseline = true, Description = "raw RSA.Decrypt")]
    public byte[] RawOaepDecrypt() => _rsa.Decrypt(_oaepCiphertext, RSAEncryptionPadding.OaepSHA256);

    [BenchmarkCategory("RSA-OAEP-256 decrypt"), Benchmark(Description = "vault Decrypt")]
    public byte[] VaultOaepDecrypt() => _rsaClient.Decrypt(EncryptionAlgorithm.RsaOaep256, _oaepCiphertext).Plaintext;

    /// <summary>The raw side does what a correct caller must: a fresh random nonce and new output buffers per call.</summary>
    [BenchmarkCategory("A256GCM encrypt 1 KiB"), Benchmark(Baseline = true, Description = "raw AesGcm.Encrypt")]
    public byte[] RawGcm()
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[_kilobyte.Length];
        var tag = new byte[16];
        _gcm.Encrypt(nonce, _kilobyte, ciphertext, tag);
        return ciphertext;
    }

    [BenchmarkCategory("A256GCM encrypt 1 KiB"), Benchmark(Description = "vault Encrypt")]
    public byte[] VaultGcm() => _octClient.Encrypt(EncryptionAlgorithm.A256Gcm, _kilobyte).Ciphertext;

    [BenchmarkCategory("A256KW wrap"), Benchmark(Baseline = true, Description = "raw BouncyCastle RFC 3394")]
    public byte[] RawWrap() => _wrap.Wrap(_keyToWrap, 0, _keyToWrap.Length);

    [BenchmarkCategory("A256KW wrap"), Benchmark(Description = "vault WrapKey")]
    public byte[] VaultWrap() => _octClient.WrapKey(KeyWrapAlgorithm.A256KW, _keyToWrap).EncryptedKey;
}
