using BenchmarkDotNet.Attributes;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Benchmarks.Audit;

/// <summary>
/// The cost of the audit trail on the hot operations: a secret read and an ES256 sign (their records batched within
/// the one-second window) and a durable secret write (its record in the write's own commit), each beside the same
/// operation with auditing off.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AuditBenchmarks
{
    private static readonly byte[] Digest = new byte[32];
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _off = null!;
    private EmbeddedVault _on = null!;
    private EmbeddedVault _strict = null!;
    private CryptographyClient _signOff = null!;
    private CryptographyClient _signOn = null!;
    private int _writes;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _off = Open("off.db", audit: false);
        _on = Open("on.db", audit: true);
        _strict = Open("strict.db", audit: true, strict: true);
        foreach (var vault in new[] { _off, _on, _strict })
        {
            vault.Secrets.SetSecretAsync("hot", new string('v', 100)).GetAwaiter().GetResult();
            vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing")).GetAwaiter().GetResult();
        }

        _signOff = _off.Keys.GetCryptographyClient("signing");
        _signOn = _on.Keys.GetCryptographyClient("signing");
        _ = SignOn();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signOff.Dispose();
        _signOn.Dispose();
        _off.Dispose();
        _on.Dispose();
        _strict.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, Description = "GetSecretAsync, auditing off")]
    [BenchmarkCategory("read")]
    public string ReadOff() => _off.Secrets.GetSecretAsync("hot").GetAwaiter().GetResult().Value;

    [Benchmark(Description = "GetSecretAsync, auditing on")]
    [BenchmarkCategory("read")]
    public string ReadOn() => _on.Secrets.GetSecretAsync("hot").GetAwaiter().GetResult().Value;

    [Benchmark(Description = "GetSecretAsync, strict auditing (a durable commit per read)")]
    [BenchmarkCategory("read")]
    public string ReadStrict() => _strict.Secrets.GetSecretAsync("hot").GetAwaiter().GetResult().Value;

    [Benchmark(Baseline = true, Description = "ES256 sign, auditing off")]
    [BenchmarkCategory("sign")]
    public byte[] SignOff() => _signOff.Sign(SignatureAlgorithm.ES256, Digest).Signature;

    [Benchmark(Description = "ES256 sign, auditing on")]
    [BenchmarkCategory("sign")]
    public byte[] SignOn() => _signOn.Sign(SignatureAlgorithm.ES256, Digest).Signature;

    [Benchmark(Baseline = true, Description = "durable SetSecretAsync, auditing off")]
    [BenchmarkCategory("write")]
    public object WriteOff() => _off.Secrets.SetSecretAsync($"w{_writes++ % 100}", "value").GetAwaiter().GetResult();

    [Benchmark(Description = "durable SetSecretAsync, auditing on")]
    [BenchmarkCategory("write")]
    public object WriteOn() => _on.Secrets.SetSecretAsync($"w{_writes++ % 100}", "value").GetAwaiter().GetResult();

    private EmbeddedVault Open(string name, bool audit, bool strict = false) => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = _folder.File(name),
        RootKey = SoftwareRootKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        Audit = { Enabled = audit, Strict = strict },
    }).GetAwaiter().GetResult();
}
