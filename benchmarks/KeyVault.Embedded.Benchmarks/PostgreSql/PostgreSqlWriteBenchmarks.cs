using BenchmarkDotNet.Attributes;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>
/// A durable write to a vault kept in PostgreSQL: <c>SetSecretAsync</c> (validate, seal, then one PostgreSQL
/// transaction in one round trip, the optimistic commit: the vault's row locked without waiting and moved from the
/// head the instance last saw, the version record inserted, the manifest buckets it touches replaced, the commit logged
/// and the log trimmed, a notification, <c>COMMIT</c>)
/// beside the raw Npgsql transaction of the same shape (<see cref="RawNpgsql.DurableWriteAsync"/>: lock, insert two
/// records, move the generation, commit). A third row sends the vault's own statements raw
/// (<see cref="RawNpgsql.VaultShapedWriteAsync"/>: the same statements in the same one round trip), to tell what
/// the database costs from what the vault adds. Each runs
/// on a private cluster with <c>fsync</c> on, started for its own benchmark process.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class PostgreSqlWriteBenchmarks
{
    private BenchmarkCluster _cluster = null!;
    private RawNpgsql? _raw;
    private PostgreSqlVaults? _vaults;
    private EmbeddedVault _vault = null!;
    private string _value = null!;
    private int _counter;

    [Params(100)]
    public int ValueBytes { get; set; }

    [GlobalSetup(Targets = [nameof(RawDurableWrite), nameof(RawVaultShapedWrite)])]
    public void SetupRaw()
    {
        _cluster = new BenchmarkCluster();
        _raw = new RawNpgsql(_cluster);
    }

    [GlobalSetup(Target = nameof(VaultDurableWrite))]
    public void SetupVault()
    {
        _cluster = new BenchmarkCluster();
        _vaults = new PostgreSqlVaults(_cluster);
        _vault = _vaults.OpenInstance();
        _value = new string('v', ValueBytes);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vaults?.Dispose();
        _raw?.Dispose();
        _cluster.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Npgsql FOR UPDATE, INSERT 2 rows, UPDATE, COMMIT (raw)")]
    public Task RawDurableWrite() => _raw!.DurableWriteAsync();

    [Benchmark(Description = "Npgsql, the vault's statements (raw)")]
    public Task RawVaultShapedWrite() => _raw!.VaultShapedWriteAsync();

    [Benchmark(Description = "PostgreSQL vault SetSecretAsync")]
    public Task VaultDurableWrite() => _vault.Secrets.SetSecretAsync($"secret-{_counter++ % 100}", _value);
}
