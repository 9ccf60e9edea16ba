using BenchmarkDotNet.Attributes;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>
/// Reading a cached secret from a vault kept in PostgreSQL, beside the same read from a vault kept in a LiteDB file.
/// Both serve it from the in-memory cache of sealed records (a lookup, HKDF, AES-GCM): no database is asked. The
/// PostgreSQL vault keeps its listener and its once-a-second poll of the vault's head running meanwhile.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class PostgreSqlReadBenchmarks
{
    private const int Secrets = 1000;
    private const string Name = "secret-500";
    private BenchmarkFolder? _folder;
    private BenchmarkCluster? _cluster;
    private PostgreSqlVaults? _vaults;
    private EmbeddedVault _vault = null!;

    [Params(100)]
    public int ValueBytes { get; set; }

    [GlobalSetup(Target = nameof(FileVaultGet))]
    public void SetupFile()
    {
        _folder = new BenchmarkFolder();
        _vault = _folder.OpenVault();
        Fill();
    }

    [GlobalSetup(Target = nameof(PostgreSqlVaultGet))]
    public void SetupPostgreSql()
    {
        _cluster = new BenchmarkCluster();
        _vaults = new PostgreSqlVaults(_cluster);
        _vault = _vaults.OpenInstance();
        Fill();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_vaults is not null)
        {
            _vaults.Dispose();
        }
        else
        {
            _vault.Dispose();
        }

        _cluster?.Dispose();
        _folder?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "LiteDB-file vault GetSecretAsync")]
    public string FileVaultGet() => _vault.Secrets.GetSecretAsync(Name).GetAwaiter().GetResult().Value;

    [Benchmark(Description = "PostgreSQL vault GetSecretAsync")]
    public string PostgreSqlVaultGet() => _vault.Secrets.GetSecretAsync(Name).GetAwaiter().GetResult().Value;

    /// <summary>1,000 secrets, written by 16 writers at once (group commits), then the one read warmed into the cache.</summary>
    private void Fill()
    {
        var value = new string('v', ValueBytes);
        Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < Secrets; i += 16)
            {
                await _vault.Secrets.SetSecretAsync($"secret-{i}", value).ConfigureAwait(false);
            }
        }))).GetAwaiter().GetResult();
        _vault.Secrets.GetSecretAsync(Name).GetAwaiter().GetResult();
    }
}
