using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

public sealed class RoleAndAuditCommandTests
{
    [Fact]
    public async Task A_role_assignment_is_created_by_role_name_listed_and_deleted()
    {
        using var home = await VaultHome.CreateAsync();
        var definitions = (JsonArray)(await home.OkAsync("role", "definition", "list"))!;
        var secretsUser = definitions.Single(d => d!["roleName"]!.GetValue<string>() == "Key Vault Secrets User")!;

        var assignment = (await home.OkAsync("role", "assignment", "create", "--role", "Key Vault Secrets User", "--assignee", "app-1", "--scope", "/secrets/db-password"))!;
        assignment["roleDefinitionId"]!.GetValue<string>().Should().Be(secretsUser["id"]!.GetValue<string>());
        assignment["scope"]!.GetValue<string>().Should().Be("/secrets/db-password");
        var name = assignment["name"]!.GetValue<string>();

        var listed = (JsonArray)(await home.OkAsync("role", "assignment", "list"))!;
        listed.Select(a => a!["name"]!.GetValue<string>()).Should().Contain(name);

        await home.OkAsync("role", "assignment", "delete", "--name", name, "--scope", "/secrets/db-password");
        ((JsonArray)(await home.OkAsync("role", "assignment", "list"))!).Select(a => a!["name"]!.GetValue<string>()).Should().NotContain(name);

        var unknown = await home.RunAsync("role", "assignment", "create", "--role", "No Such Role", "--assignee", "app-1");
        unknown.ExitCode.Should().Be(3, unknown.ToString());
        unknown.Stderr.Should().StartWith("ERROR: (RoleDefinitionNotFound)");
    }

    [Fact]
    public async Task Every_operation_is_audited_the_chain_verifies_and_exports_as_json_lines_without_values()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("secret", "set", "-n", "audited", "--value", "audit-needle-value");
        await home.OkAsync("secret", "show", "-n", "audited");
        (await home.RunAsync("secret", "show", "-n", "missing")).ExitCode.Should().Be(3);

        var verification = (await home.OkAsync("audit", "verify"))!;
        verification["isIntact"]!.GetValue<bool>().Should().BeTrue();
        verification["recordCount"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(3);

        var gets = (JsonArray)(await home.OkAsync("audit", "query", "--operation", "SecretGet"))!;
        gets.Select(e => e!["resultSignature"]!.GetValue<string>()).Should().Contain(["OK", "NotFound"]);

        var export = await home.RunAsync("audit", "export");
        export.ExitCode.Should().Be(0, export.ToString());
        var lines = export.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCountGreaterThanOrEqualTo(3);
        lines.Select(l => JsonNode.Parse(l)!["operationName"]!.GetValue<string>()).Should().Contain("SecretSet");
        export.Stdout.Should().NotContain("audit-needle-value");

        var file = home.PathOf("audit.jsonl");
        (await home.OkAsync("audit", "export", "--file", file))!["records"]!.GetValue<int>().Should().BeGreaterThanOrEqualTo(3);
        File.ReadAllLines(file).Should().AllSatisfy(l => JsonNode.Parse(l).Should().NotBeNull());
    }
}
