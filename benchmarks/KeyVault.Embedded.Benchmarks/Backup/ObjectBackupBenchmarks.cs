using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using KeyVault.Embedded.Benchmarks.Secrets;
using LiteDB;

namespace KeyVault.Embedded.Benchmarks.Backup;

/// <summary>
/// Azure's per-object backup and restore of a secret with 5 versions of 100 bytes. Baselines: AES-256-GCM over the same
/// plaintext (the primitive that seals a blob) for the backup; LiteDB upsert + fsync of one document (a durable write)
/// for the restore, which is one durable commit of the object and its five versions. Each restore takes a blob of
/// another name (all made in setup, their secrets purged), since a restore needs a free name.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10, invocationCount: 256)]
public class ObjectBackupBenchmarks
{
    private const int Blobs = 6000;
    private BenchmarkFolder _folder = null!;
    private EmbeddedVault _vault = null!;
    private RawLiteDb _raw = null!;
    private byte[][] _blobs = null!;
    private byte[] _plaintext = null!;
    private byte[] _ciphertext = null!;
    private AesGcm _aes = null!;
    private int _next;
    private int _restored;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _vault = _folder.OpenVault();
        BackupSeed.SecretsAsync(_vault, "restored-", Blobs, versions: 5).GetAwaiter().GetResult();
        BackupSeed.SecretsAsync(_vault, "kept", 1, versions: 5).GetAwaiter().GetResult();
        _blobs = new byte[Blobs][];
        for (var i = 0; i < Blobs; i++)
        {
            _blobs[i] = _vault.Secrets.BackupSecretAsync($"restored-{i}").GetAwaiter().GetResult();
        }

        BackupSeed.PurgeSecretsAsync(_vault, "restored-", Blobs).GetAwaiter().GetResult();
        _raw = new RawLiteDb(_folder.File("raw.db"));
        _plaintext = RandomNumberGenerator.GetBytes(_blobs[0].Length);
        _ciphertext = new byte[_plaintext.Length];
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _vault.Dispose();
        _raw.Dispose();
        _folder.Dispose();
    }

    [Benchmark(Description = "AES-256-GCM over a blob's bytes (raw)")]
    public void RawSeal()
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> tag = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, _plaintext, _ciphertext, tag);
    }

    [Benchmark(Description = "vault BackupSecretAsync (5 versions)")]
    public Task<byte[]> Backup() => _vault.Secrets.BackupSecretAsync("kept0");

    [Benchmark(Baseline = true, Description = "LiteDB upsert + fsync (raw)")]
    public void RawDurableWrite() => _raw.DurableUpsert(new BsonDocument { ["_id"] = $"secrets/x/{_next++}", ["v"] = _plaintext });

    [Benchmark(Description = "vault RestoreSecretBackupAsync (5 versions)")]
    public Task Restore() => _vault.Secrets.RestoreSecretBackupAsync(_blobs[_restored++]);
}
