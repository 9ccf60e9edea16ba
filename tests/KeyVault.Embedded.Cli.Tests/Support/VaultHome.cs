using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace KeyVault.Embedded.Cli.Tests.Support;

/// <summary>
/// One test's folder: a vault path and a random software root key, given to <c>kv</c> through <c>KV_VAULT</c> and
/// <c>KV_ROOT_KEY</c> (as an operator's shell would), and removed afterwards.
/// </summary>
public sealed class VaultHome : IDisposable
{
    private VaultHome(KvTool tool)
    {
        Tool = tool;
        Folder = Path.Combine(tool.WorkFolder, "vaults", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        VaultPath = Path.Combine(Folder, "vault.db");
        RootKeyHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    }

    public KvTool Tool { get; }

    public string Folder { get; }

    public string VaultPath { get; }

    public string RootKeyHex { get; }

    public static async Task<VaultHome> CreateAsync(bool createVault = true)
    {
        var home = new VaultHome(await KvTool.GetAsync());
        if (createVault)
        {
            (await home.OkAsync("vault", "create")).Should().NotBeNull();
        }

        return home;
    }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public Task<KvResult> RunAsync(params string[] args) => RunWithAsync(args, stdin: null);

    public Task<KvResult> RunWithAsync(string[] args, string? stdin, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?> { ["KV_VAULT"] = VaultPath, ["KV_ROOT_KEY"] = RootKeyHex };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }

        return Tool.RunAsync(args, stdin, env);
    }

    /// <summary>Runs and expects exit 0, no diagnostics; returns the JSON result (null when the command prints nothing).</summary>
    public async Task<JsonNode?> OkAsync(params string[] args) => Ok(await RunAsync(args));

    public static JsonNode? Ok(KvResult result)
    {
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Stdout.Length == 0 ? null : JsonNode.Parse(result.Stdout);
    }

    /// <summary>A fingerprint of every file of the vault (data, log, pages): equal before and after means nothing was written.</summary>
    public IReadOnlyDictionary<string, string> FileFingerprint() =>
        Directory.GetFiles(Folder, "vault*")
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
