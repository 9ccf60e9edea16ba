using System.Collections.Frozen;

namespace KeyVault.Embedded.Access;

/// <summary>
/// The access control in force, compiled for checks: assignments by principal, policies by principal. Immutable; a
/// change builds a new one, swapped in when its commit is durable.
/// </summary>
internal sealed class AccessState
{
    private readonly FrozenDictionary<string, (KeyVaultRoleScope Scope, VaultRoleDefinition Role)[]> _byPrincipal;
    private readonly FrozenDictionary<string, VaultAccessPolicy> _policies;

    public AccessState(VaultAuthorizationMode mode, IReadOnlyList<VaultRoleAssignment> assignments, IReadOnlyList<VaultRoleDefinition> customRoles, IReadOnlyList<VaultAccessPolicy> policies)
    {
        Mode = mode;
        Assignments = assignments;
        CustomRoles = customRoles;
        Policies = policies;
        var roles = KeyVaultRoles.All.Concat(customRoles).ToDictionary(r => r.Id, StringComparer.OrdinalIgnoreCase);
        _byPrincipal = assignments
            .Where(a => roles.ContainsKey(a.RoleDefinitionId))
            .GroupBy(a => a.PrincipalId, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.Select(a => (a.Scope, roles[a.RoleDefinitionId])).ToArray(), StringComparer.OrdinalIgnoreCase);
        _policies = policies.ToFrozenDictionary(p => p.ObjectId, StringComparer.OrdinalIgnoreCase);
    }

    public static AccessState None { get; } = new(VaultAuthorizationMode.None, [], [], []);

    public VaultAuthorizationMode Mode { get; }

    public IReadOnlyList<VaultRoleAssignment> Assignments { get; }

    public IReadOnlyList<VaultRoleDefinition> CustomRoles { get; }

    public IReadOnlyList<VaultAccessPolicy> Policies { get; }

    public VaultRoleDefinition? Role(string id) =>
        KeyVaultRoles.All.Concat(CustomRoles).FirstOrDefault(r => r.Id.Equals(id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a role assigned to the principal or one of its groups, at a scope containing <paramref name="scope"/>, grants the action.</summary>
    public bool RbacAllows(VaultPrincipal principal, string dataAction, KeyVaultRoleScope scope)
    {
        if (Allows(principal.ObjectId, dataAction, scope))
        {
            return true;
        }

        foreach (var group in principal.Groups)
        {
            if (Allows(group, dataAction, scope))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the principal holds a role that grants <paramref name="role"/>'s whole purpose at the vault: used for management rights.</summary>
    public bool Holds(VaultPrincipal principal, string roleId) =>
        new[] { principal.ObjectId }.Concat(principal.Groups).Any(id =>
            _byPrincipal.TryGetValue(id, out var held) && held.Any(h => h.Scope == KeyVaultRoleScope.Global && h.Role.Id.Equals(roleId, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether the principal's access policy (or a group's) grants the permission for the type.</summary>
    public bool PolicyAllows(VaultPrincipal principal, Lifecycle.ObjectType type, string permission) =>
        new[] { principal.ObjectId }.Concat(principal.Groups).Any(id => _policies.TryGetValue(id, out var policy) && policy.Grants(type, permission));

    private bool Allows(string principalId, string dataAction, KeyVaultRoleScope scope)
    {
        if (!_byPrincipal.TryGetValue(principalId, out var held))
        {
            return false;
        }

        foreach (var (at, role) in held)
        {
            if (at.Contains(scope) && role.Grants(dataAction))
            {
                return true;
            }
        }

        return false;
    }
}
