using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace KeyVault.Embedded.Benchmarks.Access;

/// <summary>
/// The cost of access control on the small, hot operations: a secret read and an ES256 sign, with access control off
/// (the baseline: the vault as before) and on (RBAC; 1,000 role assignments over 100 principals, the caller holding 10
/// of them at object and type scopes), each through one open vault. And the two small AES operations with RBAC on
/// beside the raw primitive on the same key: the operation path's fixed cost, access check included.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AccessControlBenchmarks
{
    private static readonly byte[] Digest = new byte[32];
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _off = null!;
    private EmbeddedVault _on = null!;
    private CryptographyClient _signOff = null!;
    private CryptographyClient _signOn = null!;
    private IDisposable _caller = null!;
    private CryptographyClient _aesOn = null!;
    private AesGcm _gcm = null!;
    private Rfc3394WrapEngine _wrap = null!;
    private byte[] _kilobyte = null!;
    private byte[] _keyToWrap = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _off = Open("off.db");
        _on = Open("on.db");
        foreach (var vault in new[] { _off, _on })
        {
            vault.Secrets.SetSecretAsync("secret-500", new string('v', 100)).GetAwaiter().GetResult();
            vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing")).GetAwaiter().GetResult();
        }

        var aesKey = RandomNumberGenerator.GetBytes(32);
        _on.Keys.ImportKeyAsync("aes", new JsonWebKey { KeyType = KeyType.Oct, K = aesKey }).GetAwaiter().GetResult();
        _gcm = new AesGcm(aesKey, 16);
        _wrap = new Rfc3394WrapEngine(AesUtilities.CreateEngine());
        _wrap.Init(true, new KeyParameter(aesKey));
        _kilobyte = RandomNumberGenerator.GetBytes(1024);
        _keyToWrap = RandomNumberGenerator.GetBytes(32);

        var admin = new VaultPrincipal("admin");
        _on.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId).GetAwaiter().GetResult();
        var roles = new[] { KeyVaultRoles.SecretsUser, KeyVaultRoles.Reader, KeyVaultRoles.CryptoUser, KeyVaultRoles.CertificateUser, KeyVaultRoles.SecretsOfficer };
        for (var i = 0; i < 999; i++)
        {
            var principal = $"principal-{i % 100}";
            var role = roles[i % roles.Length];
            var scope = (i / 100) switch
            {
                0 => KeyVaultRoleScope.Secret("secret-500"),
                1 => KeyVaultRoleScope.Key("signing"),
                2 => KeyVaultRoleScope.Secrets,
                3 => KeyVaultRoleScope.Keys,
                _ => KeyVaultRoleScope.Secret($"other-{i}"),
            };
            _on.Access.CreateRoleAssignmentAsync(scope, role.Id, principal).GetAwaiter().GetResult();
        }

        // The caller, principal-42, holds 10 of those (Crypto User at several scopes, /keys/signing and /keys among them) and one more.
        _on.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("secret-500"), KeyVaultRoles.SecretsUser.Id, "principal-42").GetAwaiter().GetResult();
        using (_on.RunAs(admin))
        {
            _on.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac).GetAwaiter().GetResult();
        }

        _caller = _on.RunAs(new VaultPrincipal("principal-42"));
        _signOff = _off.Keys.GetCryptographyClient("signing");
        _signOn = _on.Keys.GetCryptographyClient("signing");
        _aesOn = _on.Keys.GetCryptographyClient("aes");
        _ = ReadOn();
        _ = SignOn();
        _ = WrapOn();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _caller.Dispose();
        _signOff.Dispose();
        _signOn.Dispose();
        _aesOn.Dispose();
        _gcm.Dispose();
        _off.Dispose();
        _on.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, Description = "GetSecretAsync, access control off")]
    [BenchmarkCategory("read")]
    public string ReadOff() => _off.Secrets.GetSecretAsync("secret-500").GetAwaiter().GetResult().Value;

    [Benchmark(Description = "GetSecretAsync, RBAC on (1,000 assignments)")]
    [BenchmarkCategory("read")]
    public string ReadOn() => _on.Secrets.GetSecretAsync("secret-500").GetAwaiter().GetResult().Value;

    [Benchmark(Baseline = true, Description = "ES256 sign, access control off")]
    [BenchmarkCategory("sign")]
    public byte[] SignOff() => _signOff.Sign(SignatureAlgorithm.ES256, Digest).Signature;

    [Benchmark(Description = "ES256 sign, RBAC on (1,000 assignments)")]
    [BenchmarkCategory("sign")]
    public byte[] SignOn() => _signOn.Sign(SignatureAlgorithm.ES256, Digest).Signature;

    [Benchmark(Baseline = true, Description = "raw BouncyCastle RFC 3394")]
    [BenchmarkCategory("A256KW wrap, RBAC on")]
    public byte[] WrapRaw() => _wrap.Wrap(_keyToWrap, 0, _keyToWrap.Length);

    [Benchmark(Description = "vault WrapKey, RBAC on (1,000 assignments)")]
    [BenchmarkCategory("A256KW wrap, RBAC on")]
    public byte[] WrapOn() => _aesOn.WrapKey(KeyWrapAlgorithm.A256KW, _keyToWrap).EncryptedKey;

    /// <summary>The raw side does what a correct caller must: a fresh random nonce and new output buffers per call.</summary>
    [Benchmark(Baseline = true, Description = "raw AesGcm.Encrypt")]
    [BenchmarkCategory("A256GCM encrypt 1 KiB, RBAC on")]
    public byte[] GcmRaw()
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[_kilobyte.Length];
        var tag = new byte[16];
        _gcm.Encrypt(nonce, _kilobyte, ciphertext, tag);
        return ciphertext;
    }

    [Benchmark(Description = "vault Encrypt, RBAC on (1,000 assignments)")]
    [BenchmarkCategory("A256GCM encrypt 1 KiB, RBAC on")]
    public byte[] GcmOn() => _aesOn.Encrypt(EncryptionAlgorithm.A256Gcm, _kilobyte).Ciphertext;

    private EmbeddedVault Open(string name) => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = _folder.File(name),
        RootKey = SoftwareRootKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    }).GetAwaiter().GetResult();
}
