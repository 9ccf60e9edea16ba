using System.Threading;
using KeyVault.Embedded.Tests.Support;
using Xunit.Abstractions;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// A child process sets and deletes secrets in a loop and prints each operation after its call returns; the test
/// kills it with SIGKILL at a random moment, reopens the vault, and checks every acknowledged operation.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const int Rounds = 20;
    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output;

    public CrashTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_writer_killed_at_random_moments_loses_no_acknowledged_write_and_the_vault_always_opens()
    {
        var seed = Environment.TickCount;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var key = TestVaults.NewKey();
        var path = _dir.File("vault.db");
        var sets = new HashSet<int>();
        var deletes = new HashSet<int>();
        var uncertain = new HashSet<int>();

        for (var round = 0; round < Rounds; round++)
        {
            var acknowledgements = random.Next(1, 60);
            using (var child = ChildProcess.Start("write", path, Convert.ToHexString(key), (round * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                for (var i = 0; i < acknowledgements; i++)
                {
                    var line = child.ExpectLine();
                    Record(line, sets, deletes);
                }

                // Vary the moment inside the next write without waiting on the clock.
                Thread.SpinWait(random.Next(0, 200_000));
                child.Kill();
                // Lines the child printed before it died were acknowledged too; a last line without its newline was not.
                var rest = child.ReadToEnd();
                foreach (var line in rest[..(rest.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    Record(line, sets, deletes);
                }
            }

            // The operation after the last acknowledged one was in flight: it may or may not have happened. Only a
            // delete in flight matters (an unacknowledged set is never checked): that secret's state is unknown.
            var inFlight = sets.Where(i => i >= round * 1000).Append(round * 1000 - 1)
                .Concat(deletes.Where(i => i >= round * 1000).Select(i => i + 1)).Max() + 1;
            if (inFlight % 5 == 4)
            {
                uncertain.Add(inFlight - 1);
            }

            await using var vault = await TestVaults.OpenAsync(path, key);
            foreach (var i in sets.Except(deletes).Except(uncertain))
            {
                (await vault.Secrets.GetSecretAsync($"s{i}")).Value.Should().Be($"value-{i}", $"set {i} was acknowledged (round {round}, seed {seed})");
            }

            foreach (var i in deletes)
            {
                (await vault.Secrets.GetDeletedSecretAsync($"s{i}")).Name.Should().Be($"s{i}", $"delete {i} was acknowledged (round {round}, seed {seed})");
            }
        }

        sets.Count.Should().BeGreaterThan(Rounds, "each round acknowledged at least one write");
    }

    private static void Record(string line, HashSet<int> sets, HashSet<int> deletes)
    {
        var parts = line.Trim().Split(' ');
        var index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        (parts[0] == "SET" ? sets : deletes).Add(index);
    }
}
