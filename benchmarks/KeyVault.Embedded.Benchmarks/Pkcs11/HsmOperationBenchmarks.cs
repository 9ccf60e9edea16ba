using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Pkcs11;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Benchmarks.Pkcs11;

/// <summary>
/// Token-resident keys (SoftHSMv2) through the vault's cryptography client, beside the same Pkcs11Interop calls on
/// the same token objects from a session of the benchmark's own. ES256 signs with raw CKM_ECDSA; A256KW unwrap goes
/// through C_UnwrapKey into a session object whose value is read and which is then destroyed, on both sides.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public partial class HsmOperationBenchmarks
{
    private const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private const string Pin = "bench-pin-1234";
    private BenchmarkFolder _folder = null!;
    private Pkcs11RootKey _root = null!;
    private EmbeddedVault _vault = null!;
    private CryptographyClient _ec = null!;
    private CryptographyClient _oct = null!;
    private ISession _session = null!;
    private IObjectHandle _ecPrivate = null!;
    private IObjectHandle _aes = null!;
    private byte[] _digest = null!;
    private byte[] _wrapped = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        var config = _folder.File("softhsm2.conf");
        Directory.CreateDirectory(_folder.File("tokens"));
        File.WriteAllText(config, $"directories.tokendir = {_folder.File("tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        // SoftHSM reads getenv(); child processes inherit .NET's managed environment: set both.
        _ = SetEnv("SOFTHSM2_CONF", config, 1);
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", config);
        Process.Start("softhsm2-util", ["--init-token", "--free", "--label", "bench", "--so-pin", "so-1234", "--pin", Pin])!.WaitForExit();

        var options = new Pkcs11RootKeyOptions { ModulePath = Module, TokenLabel = "bench", Pin = Encoding.UTF8.GetBytes(Pin), KeyLabel = "root" };
        Pkcs11RootKey.CreateRootKey(options);
        _root = new Pkcs11RootKey(options);
        _vault = EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _folder.File("vault.db"), RootKey = _root }).GetAwaiter().GetResult();
        var ecKey = _vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("ec", hardwareProtected: true)).GetAwaiter().GetResult();
        var aesKey = _vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("oct", hardwareProtected: true)).GetAwaiter().GetResult();
        _ec = _vault.Keys.GetCryptographyClient("ec");
        _oct = _vault.Keys.GetCryptographyClient("oct");

        var slot = Pkcs11Modules.Load(Module).GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == "bench");
        _session = slot.OpenSession(SessionType.ReadWrite);
        _ecPrivate = Find(CKO.CKO_PRIVATE_KEY, ecKey.Properties.Version!);
        _aes = Find(CKO.CKO_SECRET_KEY, aesKey.Properties.Version!);

        _digest = SHA256.HashData("benchmark"u8);
        _wrapped = _oct.WrapKey(KeyWrapAlgorithm.A256KW, RandomNumberGenerator.GetBytes(32)).EncryptedKey;
        _ec.Sign(SignatureAlgorithm.ES256, _digest);
        _oct.UnwrapKey(KeyWrapAlgorithm.A256KW, _wrapped);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _ec.Dispose();
        _oct.Dispose();
        _vault.Dispose();
        _root.Dispose();
        _folder.Dispose();
    }

    [BenchmarkCategory("ES256 sign (EC-HSM)"), Benchmark(Baseline = true, Description = "raw C_Sign CKM_ECDSA")]
    public byte[] RawSign() => _session.Sign(Pkcs11Token.Mechanism(CKM.CKM_ECDSA), _ecPrivate, _digest);

    [BenchmarkCategory("ES256 sign (EC-HSM)"), Benchmark(Description = "vault Sign")]
    public byte[] VaultSign() => _ec.Sign(SignatureAlgorithm.ES256, _digest).Signature;

    [BenchmarkCategory("A256KW unwrap (oct-HSM)"), Benchmark(Baseline = true, Description = "raw C_UnwrapKey + read + destroy")]
    public byte[] RawUnwrap() => Pkcs11Token.UnwrapBytes(_session, _aes, _wrapped);

    [BenchmarkCategory("A256KW unwrap (oct-HSM)"), Benchmark(Description = "vault UnwrapKey")]
    public byte[] VaultUnwrap() => _oct.UnwrapKey(KeyWrapAlgorithm.A256KW, _wrapped).Key;

    private IObjectHandle Find(CKO type, string version) =>
        _session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_CLASS, type), Pkcs11Token.Attribute(CKA.CKA_ID, Convert.FromHexString(version))]).Single();

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
