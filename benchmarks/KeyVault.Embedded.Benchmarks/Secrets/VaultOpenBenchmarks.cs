using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using KeyVault.Embedded.Lifecycle;
using LiteDB;

namespace KeyVault.Embedded.Benchmarks.Secrets;

/// <summary>
/// Opening a vault of 100,000 secrets in a fresh process (cold start: nothing jitted, nothing cached but the operating
/// system's page cache), beside opening a LiteDB file of 100,000 documents of the same size and reading every one. The
/// vault's open reads and checks its whole manifest (every bucket's MAC, the Merkle root, the rollback anchor when one is
/// configured) and the key-encryption keys; it reads no secret.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.ColdStart, launchCount: 5, warmupCount: 0, iterationCount: 1)]
public class VaultOpenBenchmarks
{
    private const int Secrets = 100_000;
    private static readonly byte[] RootKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    /// <summary>The fixture is built once (a few minutes) and kept for later runs.</summary>
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "kve-bench-open-100k-v2");

    private static string VaultPath => Path.Combine(Folder, "vault.db");

    private static string RawPath => Path.Combine(Folder, "raw.db");

    [GlobalSetup]
    public void Setup()
    {
        if (File.Exists(Path.Combine(Folder, "complete")))
        {
            return;
        }

        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }

        Directory.CreateDirectory(Folder);
        using (var vault = Open())
        {
            var lifecycle = new ObjectLifecycle(vault.Core);
            var payload = new byte[100];
            for (var batch = 0; batch < Secrets / 1000; batch++)
            {
                vault.Core.Writer.WriteAsync(async tx =>
                {
                    for (var i = 0; i < 1000; i++)
                    {
                        var write = new VersionWrite(ObjectType.Secret, $"secret-{(batch * 1000) + i}", new RecordAttributes(), payload);
                        await lifecycle.CreateVersionsAsync(tx, [write], null, ObjectAccess.Direct);
                    }

                    return true;
                }).AsTask().GetAwaiter().GetResult();
            }
        }

        using (var raw = new LiteDatabase(new ConnectionString { Filename = RawPath }))
        {
            var collection = raw.GetCollection("records");
            var value = new byte[240];
            collection.InsertBulk(Enumerable.Range(0, 2 * Secrets).Select(i => new BsonDocument { ["_id"] = (long)i, ["k"] = $"secrets/secret-{i}/0123456789abcdef0123456789abcdef", ["v"] = value }));
        }

        File.WriteAllText(Path.Combine(Folder, "complete"), string.Empty);
    }

    [Benchmark(Baseline = true, Description = "LiteDB open + read 200,000 documents (raw)")]
    public int RawOpen()
    {
        using var raw = new LiteDatabase(new ConnectionString { Filename = RawPath, ReadOnly = true });
        return raw.GetCollection("records").FindAll().Count();
    }

    [Benchmark(Description = "vault OpenAsync (100,000 secrets)")]
    public long VaultOpen()
    {
        using var vault = Open();
        return vault.Core.Manifest.Count;
    }

    private static EmbeddedVault Open() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = VaultPath,
        RootKey = SoftwareRootKey.FromBytes(RootKey),
    }).GetAwaiter().GetResult();
}
