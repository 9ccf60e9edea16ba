using System.CommandLine;
using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

public sealed class HelpTests
{
    /// <summary>Every command of the tool's own tree, so that a new command is covered without editing this test.</summary>
    public static IEnumerable<string[]> CommandPaths()
    {
        var paths = new List<string[]>();
        void Walk(Command command, string[] path)
        {
            paths.Add(path);
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }

        Walk(KvApplication.BuildRootCommand(), []);
        return paths;
    }

    [Fact]
    public async Task Every_command_has_help_that_exits_0_on_stdout()
    {
        var tool = await KvTool.GetAsync();
        var paths = CommandPaths().ToList();
        paths.Should().HaveCountGreaterThan(40);
        using var gate = new SemaphoreSlim(Environment.ProcessorCount);

        var results = await Task.WhenAll(paths.Select(async path =>
        {
            await gate.WaitAsync();
            try
            {
                return (Path: path, Result: await tool.RunAsync([.. path, "--help"]));
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var (path, result) in results)
        {
            var line = string.Join(' ', ["kv", .. path]);
            result.ExitCode.Should().Be(0, $"{line} --help: {result}");
            result.Stdout.Should().Contain("Usage:", line).And.Contain("Description:", line);
            result.Stderr.Should().BeEmpty(line);
        }
    }

    [Fact]
    public async Task Help_names_the_global_options_the_exit_codes_and_warns_about_value_on_the_command_line()
    {
        var tool = await KvTool.GetAsync();

        var root = await tool.RunAsync(["--help"]);
        root.Stdout.Should().Contain("--vault").And.Contain("--root-key-file").And.Contain("--passphrase-prompt").And.Contain("--pkcs11-module")
            .And.Contain("-o, --output").And.Contain("8 root key");

        var set = await tool.RunAsync(["secret", "set", "--help"]);
        set.Stdout.Should().Contain("--value").And.Contain("shell's history").And.Contain("--file");
    }

    [Fact]
    public async Task Completions_come_from_the_suggest_directive()
    {
        var tool = await KvTool.GetAsync();

        // dotnet-suggest's form: [suggest:CURSOR] "the command line after the program's name".
        var commands = await tool.RunAsync(["[suggest:9]", "secret li"]);
        var keyTypes = await tool.RunAsync(["[suggest:18]", "key create --kty R"]);

        commands.ExitCode.Should().Be(0, commands.ToString());
        commands.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("list", "list-deleted", "list-versions");
        keyTypes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("RSA", "RSA-HSM");
    }
}
