using System.CommandLine;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Cli.Output;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary><c>kv role ...</c>, as <c>az keyvault role ...</c>: the vault's own data-plane RBAC.</summary>
internal static class RoleCommands
{
    public static Command Create() => Group("role", "Manage role assignments and list role definitions.",
        Group("assignment", "Role assignments: a principal, a role, a scope.", CreateAssignment(), ListAssignments(), DeleteAssignment()),
        Group("definition", "Role definitions.", ListDefinitions()));

    private static Option<string> Scope(bool required)
    {
        var option = new Option<string>("--scope")
        {
            Description = "The scope: / (the vault), /secrets, /keys, /certificates, or /secrets/NAME, /keys/NAME, /certificates/NAME.",
        };
        if (required)
        {
            option.DefaultValueFactory = _ => "/";
        }

        return option;
    }

    private static Command CreateAssignment()
    {
        var role = Required("--role", "The role's name (for example \"Key Vault Secrets User\") or id.");
        var assignee = Required("--assignee", "The principal's object id.");
        var scope = Scope(required: true);
        var name = Optional("--name", "The assignment's name (default: a new GUID).");
        return CommandFactory.Create("create", "Assign a role to a principal at a scope.", [role, assignee, scope, name],
            parse => async (vault, _, ct) =>
            {
                var definition = await FindRoleAsync(vault, parse.GetValue(role)!, ct).ConfigureAwait(false);
                var assignment = await vault.Access.CreateRoleAssignmentAsync(new KeyVaultRoleScope(parse.GetValue(scope)!), definition.Id,
                    parse.GetValue(assignee)!, parse.GetValue(name), ct).ConfigureAwait(false);
                return Json.RoleAssignment(assignment);
            });
    }

    private static Command ListAssignments()
    {
        var scope = Scope(required: false);
        return CommandFactory.Create("list", "List role assignments (at a scope, or all).", [scope],
            parse => async (vault, _, ct) =>
            {
                KeyVaultRoleScope? at = parse.GetValue(scope) is { } s ? new KeyVaultRoleScope(s) : null;
                var list = await vault.Access.GetRoleAssignmentsAsync(at, ct).ConfigureAwait(false);
                return new JsonArray(list.Select(a => (JsonNode?)Json.RoleAssignment(a)).ToArray());
            });
    }

    private static Command DeleteAssignment()
    {
        var name = Required("--name", "The assignment's name.");
        var scope = Scope(required: true);
        return CommandFactory.Create("delete", "Delete a role assignment.", [name, scope],
            parse => async (vault, _, ct) =>
                Json.RoleAssignment(await vault.Access.DeleteRoleAssignmentAsync(new KeyVaultRoleScope(parse.GetValue(scope)!), parse.GetValue(name)!, ct).ConfigureAwait(false)));
    }

    private static Command ListDefinitions() =>
        CommandFactory.Create("list", "List role definitions (built-in and custom).", [],
            _ => async (vault, _, ct) =>
            {
                var list = await vault.Access.GetRoleDefinitionsAsync(ct).ConfigureAwait(false);
                return new JsonArray(list.Select(d => (JsonNode?)Json.RoleDefinition(d)).ToArray());
            });

    private static async Task<VaultRoleDefinition> FindRoleAsync(EmbeddedVault vault, string role, CancellationToken ct)
    {
        var definitions = await vault.Access.GetRoleDefinitionsAsync(ct).ConfigureAwait(false);
        return definitions.FirstOrDefault(d => string.Equals(d.Id, role, StringComparison.OrdinalIgnoreCase) || string.Equals(d.RoleName, role, StringComparison.OrdinalIgnoreCase))
            ?? throw new VaultObjectNotFoundException(new VaultErrorCode("RoleDefinitionNotFound"), $"There is no role definition '{role}' (see 'kv role definition list').");
    }
}
