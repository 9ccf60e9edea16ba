using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace KeyVault.Embedded.Benchmarks.Backup;

/// <summary>
/// Whole-vault backup and verification of a vault of 100,000 secrets. Baselines: copying the vault file and fsyncing
/// the copy (the offline copy an operator made before, with the vault closed), and reading every record with LiteDB
/// (<c>FindAll</c>), the least a verification must do. "backup with 4 writers" runs the backup while four tasks write
/// secrets, and prints the longest a write waited for it (<c>LongestWriterWait</c>) and the writes made meanwhile.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 5)]
public class VaultBackupBenchmarks
{
    private const int Secrets = 100_000;
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private byte[] _key = null!;
    private string _copyOfClosedVault = null!;
    private string _backup = null!;
    private string _rawCopy = null!;
    private int _runs;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        _vault = Open();
        BackupSeed.SecretsAsync(_vault, "secret-", Secrets).GetAwaiter().GetResult();
        _vault.Dispose(); // checkpoint: the data file holds everything, for the file-copy baseline
        _copyOfClosedVault = _folder.File("vault.db");
        _rawCopy = _folder.File("raw.db");
        File.Copy(_copyOfClosedVault, _rawCopy);
        _vault = Open();
        _backup = _folder.File("verify.kvbak");
        _vault.BackupAsync(_backup).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _vault.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Baseline = true, Description = "copy the vault file (closed) + fsync (raw)")]
    public void RawCopy()
    {
        var target = _folder.File($"copy{_runs++}.db");
        using (var source = new FileStream(_rawCopy, FileMode.Open, FileAccess.Read, FileShare.Read))
        using (var destination = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
        {
            source.CopyTo(destination);
            destination.Flush(flushToDisk: true);
        }

        File.Delete(target);
    }

    [Benchmark(Description = "vault BackupAsync (online, 100,000 secrets)")]
    public async Task Backup()
    {
        var target = _folder.File($"backup{_runs++}.kvbak");
        await _vault.BackupAsync(target);
        File.Delete(target);
    }

    [Benchmark(Description = "vault BackupAsync with 4 writers writing")]
    public async Task BackupWithWriters()
    {
        var target = _folder.File($"busy{_runs++}.kvbak");
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await _vault.Secrets.SetSecretAsync($"busy-{w}-{i % 50}", "value");
                Interlocked.Increment(ref writes);
            }
        })).ToArray();
        var started = Stopwatch.GetTimestamp();
        var result = await _vault.BackupAsync(target);
        var took = Stopwatch.GetElapsedTime(started);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Console.WriteLine($"// backup with writers: {took.TotalMilliseconds:F0} ms, longest writer wait {result.LongestWriterWait.TotalMilliseconds:F2} ms, {writes} writes meanwhile, {result.RecordCount} records, {result.Bytes / 1_048_576.0:F1} MiB");
        File.Delete(target);
    }

    [Benchmark(Description = "LiteDB FindAll of every record (raw)")]
    public long RawReadAll()
    {
        using var db = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = _rawCopy, ReadOnly = true });
        long bytes = 0;
        foreach (var document in db.GetCollection("records").FindAll())
        {
            bytes += document["v"].AsBinary.Length;
        }

        return bytes;
    }

    [Benchmark(Description = "EmbeddedVault.VerifyBackupAsync (100,000 secrets)")]
    public Task<VaultBackupVerification> Verify() => EmbeddedVault.VerifyBackupAsync(_backup, SoftwareRootKey.FromBytes(_key));

    private EmbeddedVault Open() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = _folder.File("vault.db"),
        RootKey = SoftwareRootKey.FromBytes(_key),
    }).GetAwaiter().GetResult();
}
