using KeyVault.Embedded.Tests.Support;
using Xunit.Abstractions;

namespace KeyVault.Embedded.Tests.Backup;

/// <summary>A backup process killed (SIGKILL) at random moments never leaves a file at the backup's name that is not a whole, valid backup.</summary>
public sealed class BackupCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 5;
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_backup_killed_at_random_moments_leaves_either_nothing_or_a_valid_backup_at_its_name()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var key = TestVaults.NewKey();
        var path = _dir.File("vault.db");
        await using (var vault = await TestVaults.OpenAsync(path, key))
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = w; i < 2500; i += 16)
                {
                    await vault.Secrets.SetSecretAsync($"s{i}", new string('x', 200));
                }
            })));
        }

        var killedBeforeTheEnd = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var backup = _dir.File($"backup{round}.kvbak");
            using (var child = ChildProcess.Start("backup", path, Convert.ToHexString(key), backup))
            {
                child.ExpectLine().Should().Be("OPEN");
                var lines = random.Next(0, 9);
                var done = false;
                for (var i = 0; i < lines && !done; i++)
                {
                    done = child.ExpectLine() == "DONE";
                }

                Thread.SpinWait(random.Next(0, 2_000_000));
                child.Kill();
                killedBeforeTheEnd += done ? 0 : 1;
                if (done)
                {
                    File.Exists(backup).Should().BeTrue($"the child reported the backup complete (round {round}, seed {seed})");
                }
            }

            if (File.Exists(backup))
            {
                var verification = await EmbeddedVault.VerifyBackupAsync(backup, SoftwareRootKey.FromBytes(key));
                verification.Secrets.Should().Be(2500, $"a file at the backup's name is a whole backup (round {round}, seed {seed})");
            }

            foreach (var leftover in Directory.GetFiles(_dir.Path, $".backup{round}.kvbak.*"))
            {
                Path.GetFileName(leftover).Should().EndWith(".partial", "an interrupted backup is left only under its temporary name");
            }
        }

        killedBeforeTheEnd.Should().BeGreaterThan(0, $"at least one round killed the child mid-backup (seed {seed})");
    }

    public void Dispose() => _dir.Dispose();
}
