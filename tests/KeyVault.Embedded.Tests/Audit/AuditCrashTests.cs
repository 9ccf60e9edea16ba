using System.Threading;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Tests.Support;
using Xunit.Abstractions;

namespace KeyVault.Embedded.Tests.Audit;

/// <summary>
/// A child process, auditing on, sets and reads secrets in a loop and prints each set after its call returns; the test
/// kills it with SIGKILL at a random moment: every acknowledged write has its record, and the chain verifies.
/// </summary>
public sealed class AuditCrashTests : IDisposable
{
    private const int Rounds = 8;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output;

    public AuditCrashTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_writer_killed_at_random_moments_never_loses_a_writes_record_and_the_chain_always_verifies()
    {
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var key = TestVaults.NewKey();
        var path = _dir.File("vault.db");
        var acknowledged = new List<int>();

        for (var round = 0; round < Rounds; round++)
        {
            KillAtRandom(random, 40, acknowledged, "audit-write", path, Convert.ToHexString(key), (round * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));

            await using var vault = await TestVaults.OpenAsync(path, key, configure: o => o.Audit.Enabled = true);
            var verification = await vault.VerifyAuditAsync();
            verification.IsIntact.Should().BeTrue($"{verification.Problem} (round {round}, seed {seed})");
            var recorded = (await vault.GetAuditEventsAsync(new AuditQuery { OperationName = "SecretSet" })).Select(e => e.Properties.Id).ToHashSet();
            foreach (var i in acknowledged)
            {
                recorded.Should().Contain($"{vault.Properties.VaultUri}secrets/s{i}", $"set {i} was acknowledged, so its record committed with it (round {round}, seed {seed})");
            }
        }
    }

    [Fact]
    public async Task Concurrent_writers_killed_at_random_moments_keep_every_acknowledged_change_with_its_record_and_no_record_without_its_change()
    {
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var key = TestVaults.NewKey();
        var path = _dir.File("vault.db");
        var acknowledged = new List<int>();

        for (var round = 0; round < Rounds; round++)
        {
            KillAtRandom(random, 60, acknowledged, "group-write", path, Convert.ToHexString(key), (round * 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture), "8");

            await using var vault = await TestVaults.OpenAsync(path, key, configure: o => o.Audit.Enabled = true);
            var verification = await vault.VerifyAuditAsync();
            verification.IsIntact.Should().BeTrue($"{verification.Problem} (round {round}, seed {seed})");
            var recorded = (await vault.GetAuditEventsAsync(new AuditQuery { OperationName = "SecretSet" })).Where(e => e.ResultType == "Success").Select(e => e.Properties.Id!).ToHashSet();
            var present = (await vault.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => $"{vault.Properties.VaultUri}secrets/{p.Name}").ToHashSet();
            foreach (var i in acknowledged)
            {
                var id = $"{vault.Properties.VaultUri}secrets/s{i}";
                present.Should().Contain(id, $"set {i} was acknowledged (round {round}, seed {seed})");
                recorded.Should().Contain(id, $"set {i} was acknowledged, so its record committed with it (round {round}, seed {seed})");
            }

            present.Should().BeEquivalentTo(recorded, $"every change has its record and every record its change: they commit together (round {round}, seed {seed})");
            (await vault.Secrets.GetSecretAsync($"s{acknowledged[^1]}")).Value.Should().Be($"value-{acknowledged[^1]}");
        }
    }

    /// <summary>
    /// Runs the child, waits for 1 to <paramref name="most"/> acknowledged sets ("SET i"), kills it (SIGKILL) at a random
    /// moment after, and adds every set it acknowledged, those printed before the kill included, to <paramref name="acknowledged"/>.
    /// </summary>
    private static void KillAtRandom(Random random, int most, List<int> acknowledged, params string[] args)
    {
        using var child = ChildProcess.Start(args);
        var count = random.Next(1, most);
        for (var i = 0; i < count; i++)
        {
            acknowledged.Add(int.Parse(child.ExpectLine().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        Thread.SpinWait(random.Next(0, 200_000));
        child.Kill();
        var rest = child.ReadToEnd();
        foreach (var line in rest[..(rest.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            acknowledged.Add(int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
