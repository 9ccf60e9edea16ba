using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

/// <summary>
/// Long work shows a progress bar when standard error is a terminal, plain lines when it is redirected. The terminal is
/// a pseudo-terminal from util-linux's <c>script</c> (<c>-q</c> quiet, <c>-f</c> flush, <c>-e</c> the child's exit code,
/// <c>-c</c> the command; the transcript goes to /dev/null, what the child writes comes back on script's stdout).
/// </summary>
public sealed class ProgressTests
{
    [Fact]
    public async Task Vault_backup_on_a_terminal_draws_a_progress_bar()
    {
        using var home = await SeededAsync();
        var backup = home.PathOf("tty.backup");
        var command = string.Join(' ', new[] { home.Tool.Executable, "vault", "backup", "--file", backup }.Select(Quote));

        var result = await KvTool.RunProcessAsync("script", ["-qfec", command, "/dev/null"], environment: new Dictionary<string, string?>
        {
            ["KV_VAULT"] = home.VaultPath,
            ["KV_ROOT_KEY"] = home.RootKeyHex,
        });

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("\u001b[", "a terminal gets ANSI escape sequences");
        result.Stdout.Should().Contain("\u2501", "Spectre.Console draws its bar with heavy horizontal lines");
        result.Stdout.Should().Contain("100%");
        result.Stdout.Should().NotContain("backup: ", "the plain lines are for redirected output only");
        File.Exists(backup).Should().BeTrue();
    }

    [Fact]
    public async Task Vault_backup_redirected_prints_plain_progress_lines_on_stderr_and_json_on_stdout()
    {
        using var home = await SeededAsync();

        var result = await home.RunAsync("vault", "backup", "--file", home.PathOf("plain.backup"));

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stderr.Should().MatchRegex(@"(?m)^backup: (\d+)/\1 records$");
        result.Stderr.Should().NotContain("\u001b");
        VaultHome.Ok(result)!["recordCount"]!.GetValue<long>().Should().BePositive();
    }

    [Fact]
    public async Task Key_encryption_key_rotation_redirected_reports_its_reseal()
    {
        using var home = await SeededAsync();

        var result = await home.RunAsync("vault", "rotate-kek");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stderr.Should().MatchRegex(@"(?m)^re-seal: (\d+)/\1 records$");
    }

    private static async Task<VaultHome> SeededAsync()
    {
        var home = await VaultHome.CreateAsync();
        for (var i = 0; i < 5; i++)
        {
            await home.OkAsync("secret", "set", "-n", $"s{i}", "--value", $"v{i}");
        }

        return home;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
