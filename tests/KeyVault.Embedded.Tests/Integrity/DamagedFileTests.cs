using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Integrity;

/// <summary>
/// Random bit flips all over a real vault's files (the data file and its log; closed, and caught mid-log as a crash
/// leaves them): every read path returns exactly what the undamaged vault returns, or fails with the typed integrity
/// error. No silent outcome (a shorter list, a missing secret, another value), no exception of LiteDB's or .NET's own,
/// no hang. LiteDB has no page checksums, so this is the vault's own checks at work.
/// </summary>
public sealed class DamagedFileTests : IDisposable
{
    private const int Trials = 2000;
    private static readonly TimeSpan TrialTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Random_bit_flips_in_a_closed_vault_give_the_original_results_or_an_integrity_error()
    {
        var source = _dir.File("source/vault.db");
        await using (var vault = await TestVaults.OpenAsync(source, _key))
        {
            await FillAsync(vault);
        }

        await RunTrialsAsync(Files.Snapshot(Path.GetDirectoryName(source)!), seed: 20261201);
    }

    [Fact]
    public async Task Random_bit_flips_in_a_vault_caught_mid_log_give_the_original_results_or_an_integrity_error()
    {
        var source = _dir.File("source/vault.db");
        IReadOnlyDictionary<string, byte[]> crashed;
        await using (var vault = await TestVaults.OpenAsync(source, _key))
        {
            await FillAsync(vault);

            // The files as a process killed now would leave them: every commit in the log, fsynced, no checkpoint.
            crashed = RawFile.Snapshot(Path.GetDirectoryName(source)!);
        }

        crashed[Files.LogOf(source)].Length.Should().BeGreaterThan(0, "the commits are in the log");
        await RunTrialsAsync(crashed, seed: 20261202);
    }

    private static async Task FillAsync(EmbeddedVault vault)
    {
        for (var i = 0; i < 12; i++)
        {
            await vault.Secrets.SetSecretAsync($"secret-{i}", $"value-{i}-{new string('x', i * 40)}");
            if (i % 3 == 0)
            {
                await vault.Secrets.SetSecretAsync($"secret-{i}", $"second-{i}");
            }
        }

        await vault.Secrets.UpdateSecretPropertiesAsync(new SecretProperties("secret-4") { Enabled = false });
        await vault.Secrets.StartDeleteSecretAsync("secret-5");
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
        await vault.Certificates.SetContactsAsync([new CertificateContact { Email = "ops@example.com" }]);
    }

    /// <summary>Every read path, as lines: what the vault says, or the kind of failure.</summary>
    private static async Task<List<string>> ReadAllAsync(EmbeddedVault vault)
    {
        var lines = new List<string>();
        async Task Step(string name, Func<Task<string>> read)
        {
            try
            {
                lines.Add($"{name}: {await read()}");
            }
            catch (VaultException ex) when (Typed(ex))
            {
                lines.Add($"{name}: {ex.ErrorCode}");
            }
        }

        await Step("list", async () => string.Join(",", (await vault.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => $"{p.Name}/{p.Version}/{p.Enabled}")));
        for (var i = 0; i < 12; i++)
        {
            var name = $"secret-{i}";
            await Step(name, async () => Hash((await vault.Secrets.GetSecretAsync(name)).Value));
            await Step(name + " versions", async () => string.Join(",", (await vault.Secrets.GetPropertiesOfSecretVersionsAsync(name).ToListAsync()).Select(p => p.Version)));
        }

        await Step("deleted", async () => string.Join(",", (await vault.Secrets.GetDeletedSecretsAsync().ToListAsync()).Select(d => d.Name)));
        await Step("key", async () => Hash(Convert.ToBase64String((await vault.Keys.GetKeyAsync("signing")).Key.X!)));
        await Step("contacts", async () => string.Join(",", (await vault.Certificates.GetContactsAsync()).Select(c => c.Email)));
        return lines;
    }

    private static bool Typed(VaultException ex) =>
        ex.ErrorCode == VaultErrorCode.IntegrityCheckFailed
        || ex is VaultObjectNotFoundException
        || ex.ErrorCode == VaultErrorCode.SecretDisabled;

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private async Task RunTrialsAsync(IReadOnlyDictionary<string, byte[]> pristine, int seed)
    {
        var random = new Random(seed);
        var expected = await TrialAsync(pristine, "baseline");
        expected.Should().NotBeNull();
        expected!.Should().NotContain(line => line.EndsWith(VaultErrorCode.IntegrityCheckFailed.ToString(), StringComparison.Ordinal));
        var files = pristine.Keys.Order(StringComparer.Ordinal).Where(f => pristine[f].Length > 0).ToList();
        int openFailures = 0, readFailures = 0, unchanged = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var damaged = pristine.ToDictionary(p => p.Key, p => p.Value.ToArray());
            var file = files[random.Next(files.Count)];
            var bytes = damaged[file];
            var flips = random.Next(1, 9);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            var because = $"seed {seed}, trial {trial}: {flips} bit(s) flipped in {Path.GetFileName(file)}";
            var got = await TrialAsync(damaged, because);
            if (got is null)
            {
                openFailures++;
                continue;
            }

            got.Should().HaveSameCount(expected, because);
            for (var i = 0; i < expected.Count; i++)
            {
                if (got[i] != expected[i])
                {
                    // Anything but the original answer must be the integrity error (never another value or a "not found").
                    got[i].Should().EndWith(": " + VaultErrorCode.IntegrityCheckFailed, $"{because}; expected '{expected[i]}'");
                    readFailures++;
                }
                else
                {
                    unchanged++;
                }
            }
        }

        (openFailures + readFailures).Should().BeGreaterThan(0, "the flips do damage something");
        unchanged.Should().BeGreaterThan(0);
    }

    /// <summary>Opens a copy of the files and reads everything; null when the open itself fails with the typed error.</summary>
    private async Task<List<string>?> TrialAsync(IReadOnlyDictionary<string, byte[]> files, string because)
    {
        var folder = Path.Combine(_dir.Path, "trial");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        foreach (var (path, bytes) in files)
        {
            Files.WriteOwnerOnly(Path.Combine(folder, Path.GetFileName(path)), bytes);
        }

        var run = Task.Run(async () =>
        {
            EmbeddedVault vault;
            try
            {
                vault = await TestVaults.OpenAsync(Path.Combine(folder, "vault.db"), _key);
            }
            catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.IntegrityCheckFailed)
            {
                return null;
            }

            await using (vault)
            {
                return await ReadAllAsync(vault);
            }
        });
        try
        {
            // A watchdog, not a wait: a damaged file must never make the vault hang.
            return await run.WaitAsync(TrialTimeout);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{because}: {ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace}");
        }
    }
}
