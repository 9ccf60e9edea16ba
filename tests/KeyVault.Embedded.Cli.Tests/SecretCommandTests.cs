using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

public sealed class SecretCommandTests
{
    [Fact]
    public async Task A_secret_set_from_stdin_is_shown_listed_updated_deleted_recovered_and_purged()
    {
        using var home = await VaultHome.CreateAsync();

        var set = home.Tool.RunAsync(["secret", "set", "--name", "db-password"], "s3cr3t-value\n", new Dictionary<string, string?> { ["KV_VAULT"] = home.VaultPath, ["KV_ROOT_KEY"] = home.RootKeyHex });
        var created = VaultHome.Ok(await set)!;
        created["name"]!.GetValue<string>().Should().Be("db-password");
        created["value"].Should().BeNull("set prints the attributes, never the value");
        var version = created["version"]!.GetValue<string>();
        version.Should().MatchRegex("^[0-9a-f]{32}$");

        var shown = (await home.OkAsync("secret", "show", "--name", "DB-PASSWORD"))!;
        shown["value"]!.GetValue<string>().Should().Be("s3cr3t-value", "one trailing newline from stdin is the shell's");

        var table = await home.RunAsync("secret", "list", "-o", "table");
        table.ExitCode.Should().Be(0, table.ToString());
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().StartWith("Name").And.Contain("Version").And.Contain("Enabled");
        lines[1].Should().MatchRegex("^-+ +-+");
        lines[2].Should().StartWith("db-password").And.Contain(version);
        table.Stdout.Should().NotContain("s3cr3t-value");

        var tsv = await home.RunAsync("secret", "list", "-o", "tsv");
        tsv.ExitCode.Should().Be(0, tsv.ToString());
        tsv.Stdout.Should().Be(tsv.Stdout.TrimEnd('\n') + "\n").And.NotContain("Name\t");
        tsv.Stdout.TrimEnd('\n').Split('\t').Take(2).Should().Equal("db-password", version);

        var updated = (await home.OkAsync("secret", "set-attributes", "--name", "db-password", "--enabled", "false",
            "--tags", "env=prod", "team=ops", "--content-type", "text/plain", "--expires", "2031-01-02T03:04:05Z"))!;
        updated["enabled"]!.GetValue<bool>().Should().BeFalse();
        updated["contentType"]!.GetValue<string>().Should().Be("text/plain");
        updated["expiresOn"]!.GetValue<string>().Should().Be("2031-01-02T03:04:05Z");
        updated["tags"]!["env"]!.GetValue<string>().Should().Be("prod");
        updated["tags"]!["team"]!.GetValue<string>().Should().Be("ops");

        var disabled = await home.RunAsync("secret", "show", "--name", "db-password");
        disabled.ExitCode.Should().Be(4, disabled.ToString());
        disabled.Stderr.Should().StartWith("ERROR: (SecretDisabled)");
        disabled.Stdout.Should().BeEmpty();

        await home.OkAsync("secret", "set-attributes", "--name", "db-password", "--enabled", "true");
        var deleted = (await home.OkAsync("secret", "delete", "--name", "db-password"))!;
        deleted["scheduledPurgeDate"].Should().NotBeNull();
        ((JsonArray)(await home.OkAsync("secret", "list-deleted"))!).Select(d => d!["name"]!.GetValue<string>()).Should().Equal("db-password");
        ((JsonArray)(await home.OkAsync("secret", "list"))!).Should().BeEmpty();

        (await home.OkAsync("secret", "recover", "--name", "db-password"))!["version"]!.GetValue<string>().Should().Be(version);
        (await home.OkAsync("secret", "show", "--name", "db-password"))!["value"]!.GetValue<string>().Should().Be("s3cr3t-value");

        await home.OkAsync("secret", "delete", "--name", "db-password");
        (await home.OkAsync("secret", "purge", "--name", "db-password")).Should().BeNull("purge prints nothing, as az");
        ((JsonArray)(await home.OkAsync("secret", "list-deleted"))!).Should().BeEmpty();
        var gone = await home.RunAsync("secret", "show", "--name", "db-password");
        gone.ExitCode.Should().Be(3, gone.ToString());
        gone.Stderr.Should().StartWith("ERROR: (SecretNotFound)");
    }

    [Fact]
    public async Task A_value_from_a_file_is_stored_exactly_and_versions_are_listed()
    {
        using var home = await VaultHome.CreateAsync();
        var file = home.PathOf("value.txt");
        await File.WriteAllTextAsync(file, "line one\nline two\n");

        var first = (await home.OkAsync("secret", "set", "-n", "multi", "--file", file))!["version"]!.GetValue<string>();
        var second = (await home.OkAsync("secret", "set", "-n", "multi", "--value", "visible-in-history"))!["version"]!.GetValue<string>();

        (await home.OkAsync("secret", "show", "-n", "multi", "--version", first))!["value"]!.GetValue<string>().Should().Be("line one\nline two\n");
        (await home.OkAsync("secret", "show", "-n", "multi"))!["value"]!.GetValue<string>().Should().Be("visible-in-history");
        ((JsonArray)(await home.OkAsync("secret", "list-versions", "-n", "multi"))!).Select(v => v!["version"]!.GetValue<string>())
            .Should().BeEquivalentTo([first, second]);
    }

    [Fact]
    public async Task A_secret_backup_restores_after_purge_and_its_file_is_never_overwritten()
    {
        using var source = await VaultHome.CreateAsync();
        await source.OkAsync("secret", "set", "-n", "moved", "--value", "v1");
        var backup = source.PathOf("moved.secret-backup");

        (await source.OkAsync("secret", "backup", "-n", "moved", "--file", backup)).Should().BeNull();
        var again = await source.RunAsync("secret", "backup", "-n", "moved", "--file", backup);
        again.ExitCode.Should().Be(5, "an existing file is never overwritten: " + again);

        await source.OkAsync("secret", "delete", "-n", "moved");
        await source.OkAsync("secret", "purge", "-n", "moved");
        (await source.OkAsync("secret", "restore", "--file", backup))!["name"]!.GetValue<string>().Should().Be("moved");
        (await source.OkAsync("secret", "show", "-n", "moved"))!["value"]!.GetValue<string>().Should().Be("v1");
    }
}
