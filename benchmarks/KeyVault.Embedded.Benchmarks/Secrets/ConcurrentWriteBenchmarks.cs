using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using LiteDB;

namespace KeyVault.Embedded.Benchmarks.Secrets;

/// <summary>
/// Durable writes from 1, 4 and 16 concurrent writers: the vault's group commit (writers waiting while a commit is made
/// durable share the next one) beside the raw LiteDB transaction + fsync per write, serialised as one writer at a time
/// (what the vault did before group commit). Each invocation makes 64 writes in all; the mean is per write, so writes
/// per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class ConcurrentWriteBenchmarks
{
    private const int WritesPerInvoke = 64;
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private RawLiteDb _raw = null!;
    private byte[] _payload = null!;
    private int _counter;

    [Params(1, 4, 16)]
    public int Writers { get; set; }

    [Params(false, true)]
    public bool Audit { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _vault = EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
        {
            Path = _folder.File("vault.db"),
            RootKey = SoftwareRootKey.FromBytes(RandomNumberGenerator.GetBytes(32)),
            Audit = { Enabled = Audit },
        }).GetAwaiter().GetResult();
        _raw = new RawLiteDb(_folder.File("raw.db"));
        _payload = RandomNumberGenerator.GetBytes(167);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vault.Dispose();
        _raw.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = WritesPerInvoke, Description = "LiteDB upsert + fsync, one writer at a time (raw)")]
    public Task RawSerialisedWrites() => Run(_ =>
    {
        var n = Interlocked.Increment(ref _counter);
        lock (_raw)
        {
            _raw.DurableUpsert(new BsonDocument { ["_id"] = $"secrets/secret-{n % 100}/{n:x32}", ["sealed"] = _payload });
        }

        return Task.CompletedTask;
    });

    [Benchmark(OperationsPerInvoke = WritesPerInvoke, Description = "vault SetSecretAsync, group commit")]
    public Task VaultWrites() => Run(async _ => await _vault.Secrets.SetSecretAsync($"secret-{Interlocked.Increment(ref _counter) % 100}", "value").ConfigureAwait(false));

    private Task Run(Func<int, Task> write) => Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
    {
        for (var i = 0; i < WritesPerInvoke / Writers; i++)
        {
            await write(i).ConfigureAwait(false);
        }
    })));
}
