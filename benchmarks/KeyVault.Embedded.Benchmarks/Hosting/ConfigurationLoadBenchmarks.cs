using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KeyVault.Embedded.Benchmarks.Secrets;
using LiteDB;
using Microsoft.Extensions.Configuration;

namespace KeyVault.Embedded.Benchmarks.Hosting;

/// <summary>
/// An app's startup with 1,000 secrets in configuration: <c>AddEmbeddedVault</c> opening the vault and loading every
/// secret, beside the raw work it cannot avoid: LiteDB opening the same number of documents, reading them all and
/// AES-256-GCM decrypting each into a case-insensitive dictionary. Also the reload of an open vault beside the same
/// raw read on an open database.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ConfigurationLoadBenchmarks
{
    private const int Count = 1000;
    private const int ValueBytes = 100;
    private BenchmarkFolder _folder = null!;
    private SoftwareRootKey _root = null!;
    private byte[] _aesKey = null!;
    private AesGcm _gcm = null!;
    private RawLiteDb _openRaw = null!;
    private IConfigurationRoot _openConfiguration = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = new BenchmarkFolder();
        _root = SoftwareRootKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        var value = new string('v', ValueBytes);
        Seed("vault.db", value);
        Seed("vault-open.db", value);

        _aesKey = RandomNumberGenerator.GetBytes(32);
        _gcm = new AesGcm(_aesKey, 16);
        foreach (var file in new[] { "raw.db", "raw-open.db" })
        {
            using var raw = new RawLiteDb(_folder.File(file));
            for (var i = 0; i < Count; i++)
            {
                var nonce = RandomNumberGenerator.GetBytes(12);
                var plaintext = Encoding.UTF8.GetBytes(value);
                var ciphertext = new byte[plaintext.Length];
                var tag = new byte[16];
                _gcm.Encrypt(nonce, plaintext, ciphertext, tag);
                raw.DurableUpsert(new BsonDocument { ["_id"] = $"secrets/App--Setting{i}", ["nonce"] = nonce, ["tag"] = tag, ["ct"] = ciphertext });
            }
        }

        _openRaw = new RawLiteDb(_folder.File("raw-open.db"));
        _openConfiguration = Build("vault-open.db");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_openConfiguration as IDisposable)?.Dispose();
        _openRaw.Dispose();
        _gcm.Dispose();
        CryptographicOperations.ZeroMemory(_aesKey);
        _root.Dispose();
        _folder.Dispose();
    }

    [BenchmarkCategory("startup: open + load 1,000"), Benchmark(Baseline = true, Description = "raw LiteDB open + FindAll + AES-GCM")]
    public int RawStartup()
    {
        using var raw = new RawLiteDb(_folder.File("raw.db"));
        return ReadAll(raw).Count;
    }

    [BenchmarkCategory("startup: open + load 1,000"), Benchmark(Description = "Configuration.AddEmbeddedVault + Build")]
    public int VaultStartup()
    {
        var configuration = Build("vault.db");
        var count = configuration.AsEnumerable().Count();
        (configuration as IDisposable)?.Dispose();
        return count;
    }

    [BenchmarkCategory("reload 1,000 (open)"), Benchmark(Baseline = true, Description = "raw LiteDB FindAll + AES-GCM")]
    public int RawReload() => ReadAll(_openRaw).Count;

    [BenchmarkCategory("reload 1,000 (open)"), Benchmark(Description = "IConfigurationRoot.Reload")]
    public int VaultReload()
    {
        _openConfiguration.Reload();
        return _openConfiguration.GetSection("Setting0").Value!.Length;
    }

    private Dictionary<string, string> ReadAll(RawLiteDb raw)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Span<byte> plaintext = stackalloc byte[ValueBytes];
        foreach (var document in raw.Collection.FindAll())
        {
            _gcm.Decrypt(document["nonce"].AsBinary, document["ct"].AsBinary, document["tag"].AsBinary, plaintext);
            values[document["_id"].AsString["secrets/App--".Length..].Replace("--", ":", StringComparison.Ordinal)] = Encoding.UTF8.GetString(plaintext);
        }

        return values;
    }

    private void Seed(string file, string value)
    {
        using var vault = EmbeddedVault.OpenAsync(Options(file)).GetAwaiter().GetResult();
        for (var i = 0; i < Count; i++)
        {
            vault.Secrets.SetSecretAsync($"App--Setting{i}", value).GetAwaiter().GetResult();
        }
    }

    private IConfigurationRoot Build(string file)
    {
        return new ConfigurationBuilder().AddEmbeddedVault(o =>
        {
            o.Vault = Options(file);
            o.Prefix = "App--";
        }).Build();
    }

    private EmbeddedVaultOptions Options(string file) => new() { Path = _folder.File(file), RootKey = _root };
}
