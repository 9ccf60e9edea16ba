using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using LiteDB;

namespace KeyVault.Embedded.Benchmarks.Secrets;

/// <summary>
/// A durable write: the vault's <c>SetSecretAsync</c> (validate, seal, one LiteDB transaction, fsync of the log)
/// beside the raw LiteDB transaction of a document of the same size followed by the same fsync.
/// </summary>
[MemoryDiagnoser]
public class SecretWriteBenchmarks
{
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private RawLiteDb _raw = null!;
    private string _value = null!;
    private byte[] _sealedSizedPayload = null!;
    private int _counter;

    [Params(100)]
    public int ValueBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _vault = _folder.OpenVault();
        _raw = new RawLiteDb(_folder.File("raw.db"));
        _value = new string('v', ValueBytes);
        _sealedSizedPayload = RandomNumberGenerator.GetBytes(ValueBytes + 67);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vault.Dispose();
        _raw.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, Description = "LiteDB upsert + fsync (raw)")]
    public void RawDurableWrite()
    {
        var n = _counter++ % 100;
        _raw.DurableUpsert(new BsonDocument
        {
            ["_id"] = $"secrets/secret-{n}/{_counter:x32}",
            ["attrs"] = _sealedSizedPayload.AsSpan(0, 60).ToArray(),
            ["sealed"] = _sealedSizedPayload,
        });
    }

    [Benchmark(Description = "vault SetSecretAsync")]
    public void VaultDurableWrite() => _vault.Secrets.SetSecretAsync($"secret-{_counter++ % 100}", _value).GetAwaiter().GetResult();
}
