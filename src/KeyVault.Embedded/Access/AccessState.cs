using System.Collections.Frozen;

namespace KeyVault.Embedded.Access;

/// <summary>
/// The access control in force, compiled for checks: assignments by principal, policies by principal. Immutable; a
/// change builds a new one, swapped in when its commit is durable.
/// </summary>
internal sealed class AccessState
{
    private readonly FrozenDictionary<string, Grant[]> _byPrincipal;
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
            .ToFrozenDictionary(g => g.Key, g => g.Select(a => Grant.Of(a.Scope, roles[a.RoleDefinitionId])).ToArray(), StringComparer.OrdinalIgnoreCase);
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
    public bool RbacAllows(VaultPrincipal principal, int dataAction, KeyVaultRoleScope scope) =>
        RbacAllows(principal, dataAction, Target.Of(scope));

    /// <summary>
    /// The check on the hot path: the data action by its index in <see cref="OperationActions.DataActions"/>, the
    /// target a segment and a name compared in place (no scope text built).
    /// </summary>
    public bool RbacAllows(VaultPrincipal principal, int dataAction, Target target)
    {
        if (Allows(principal.ObjectId, dataAction, target))
        {
            return true;
        }

        foreach (var group in principal.Groups)
        {
            if (Allows(group, dataAction, target))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the principal (or one of its groups) holds <paramref name="roleId"/> at <c>/</c>: used for management rights.</summary>
    public bool Holds(VaultPrincipal principal, string roleId) =>
        AnyIdentity(principal, roleId, static (state, id, role) =>
            state._byPrincipal.TryGetValue(id, out var held) && held.Any(h => h.Segment is null && h.Role.Id.Equals(role, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether the principal's access policy (or a group's) grants the permission for the type.</summary>
    public bool PolicyAllows(VaultPrincipal principal, Lifecycle.ObjectType type, string permission) =>
        AnyIdentity(principal, (type, permission), static (state, id, need) => state._policies.TryGetValue(id, out var policy) && policy.Grants(need.type, need.permission));

    /// <summary>Whether <paramref name="test"/> holds for the principal's object id or one of its groups (no allocation).</summary>
    private bool AnyIdentity<T>(VaultPrincipal principal, T argument, Func<AccessState, string, T, bool> test)
    {
        if (test(this, principal.ObjectId, argument))
        {
            return true;
        }

        foreach (var group in principal.Groups)
        {
            if (test(this, group, argument))
            {
                return true;
            }
        }

        return false;
    }

    private bool Allows(string principalId, int dataAction, Target target)
    {
        if (!_byPrincipal.TryGetValue(principalId, out var held))
        {
            return false;
        }

        foreach (var grant in held)
        {
            if (grant.Reaches(target) && grant.Role.Grants(dataAction))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What an operation acts on: the vault (no segment), a type, or one object of a type.</summary>
    internal readonly record struct Target(string? Segment, string? Name)
    {
        public static Target Of(KeyVaultRoleScope scope)
        {
            var parts = scope.Value.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return new Target(parts.Length > 0 ? parts[0] : null, parts.Length > 1 ? parts[1] : null);
        }

        public KeyVaultRoleScope Scope => Segment is null ? KeyVaultRoleScope.Global : new KeyVaultRoleScope(Name is null ? "/" + Segment : $"/{Segment}/{Name}");
    }

    /// <summary>A role held at a scope, split for comparison in place.</summary>
    private readonly record struct Grant(string? Segment, string? Name, VaultRoleDefinition Role)
    {
        public static Grant Of(KeyVaultRoleScope scope, VaultRoleDefinition role)
        {
            var target = Target.Of(scope);
            return new Grant(target.Segment, target.Name, role);
        }

        public bool Reaches(Target target) =>
            Segment is null
            || (string.Equals(Segment, target.Segment, StringComparison.Ordinal)
                && (Name is null || string.Equals(Name, target.Name, StringComparison.OrdinalIgnoreCase)));
    }
}
