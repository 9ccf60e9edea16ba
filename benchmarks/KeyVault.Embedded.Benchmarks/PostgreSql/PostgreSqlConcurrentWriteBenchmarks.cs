using BenchmarkDotNet.Attributes;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>
/// Durable writes to one vault kept in PostgreSQL from 3 app instances (3 vaults opened on 3 data sources, as 3
/// processes would) with 8 concurrent writers each, beside 1 instance with 1 writer. Each writer sets secrets of its own
/// (16 names per writer, a new version each time). An instance's group commit holds the vault's row lock from the
/// group's start to its commit, so the instances take turns, and each first catches its view up with what the others
/// committed. Each invocation makes 96 writes in all; the mean is per write, so writes per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class PostgreSqlConcurrentWriteBenchmarks
{
    private const int WritesPerInvoke = 96;
    private BenchmarkCluster _cluster = null!;
    private PostgreSqlVaults _vaults = null!;
    private EmbeddedVault[] _instances = null!;
    private string _value = null!;
    private int _counter;

    [GlobalSetup(Target = nameof(OneInstanceOneWriter))]
    public void SetupOne() => Setup(1);

    [GlobalSetup(Target = nameof(ThreeInstancesEightWriters))]
    public void SetupThree() => Setup(3);

    [GlobalCleanup]
    public void Cleanup()
    {
        _vaults.Dispose();
        _cluster.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = WritesPerInvoke, Description = "SetSecretAsync, 1 instance x 1 writer")]
    public Task OneInstanceOneWriter() => Run(writersPerInstance: 1);

    [Benchmark(OperationsPerInvoke = WritesPerInvoke, Description = "SetSecretAsync, 3 instances x 8 writers")]
    public Task ThreeInstancesEightWriters() => Run(writersPerInstance: 8);

    private void Setup(int instances)
    {
        _cluster = new BenchmarkCluster();
        _vaults = new PostgreSqlVaults(_cluster);
        _instances = [.. Enumerable.Range(0, instances).Select(_ => _vaults.OpenInstance())];
        _value = new string('v', 100);
    }

    private Task Run(int writersPerInstance)
    {
        var perWriter = WritesPerInvoke / (_instances.Length * writersPerInstance);
        var round = Interlocked.Increment(ref _counter);
        return Task.WhenAll(_instances.SelectMany((vault, n) => Enumerable.Range(0, writersPerInstance).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await vault.Secrets.SetSecretAsync($"i{n}-w{w}-{((round * perWriter) + i) % 16}", _value).ConfigureAwait(false);
            }
        }))));
    }
}
