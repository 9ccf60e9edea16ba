using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using LiteDB;

namespace KeyVault.Embedded.Benchmarks.Secrets;

/// <summary>
/// Reading a secret from a vault that is already open, beside LiteDB's own <c>FindById</c> of a document of the same
/// size. The vault serves reads from its cache of sealed records, so its cost is a lookup plus an unseal (HKDF, AES-GCM).
/// </summary>
[MemoryDiagnoser]
public class SecretReadBenchmarks
{
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private RawLiteDb _raw = null!;
    private string _id = null!;

    [Params(100, 4096)]
    public int ValueBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _vault = _folder.OpenVault();
        var value = new string('v', ValueBytes);
        _raw = new RawLiteDb(_folder.File("raw.db"));
        for (var i = 0; i < 1000; i++)
        {
            _vault.Secrets.SetSecretAsync($"secret-{i}", value).GetAwaiter().GetResult();
            _raw.DurableUpsert(new BsonDocument { ["_id"] = $"secrets/secret-{i}/v", ["sealed"] = RandomNumberGenerator.GetBytes(ValueBytes + 67) });
        }

        _id = "secrets/secret-500/v";
        _vault.Secrets.GetSecretAsync("secret-500").GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vault.Dispose();
        _raw.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, Description = "LiteDB FindById (raw)")]
    public BsonDocument RawFindById() => _raw.Collection.FindById(_id);

    [Benchmark(Description = "vault GetSecretAsync")]
    public string VaultGet() => _vault.Secrets.GetSecretAsync("secret-500").GetAwaiter().GetResult().Value;

    // The synchronous twin: the same work without the Task the async call returns.
    [Benchmark(Description = "vault GetSecret (sync)")]
    public string VaultGetSync() => _vault.Secrets.GetSecret("secret-500").Value;
}
