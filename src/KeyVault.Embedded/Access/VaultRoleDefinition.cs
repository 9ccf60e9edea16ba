namespace KeyVault.Embedded.Access;

/// <summary>
/// A role: a name and the data actions it grants, minus those it excludes, with Azure's wildcard rules (a trailing
/// <c>*</c> matches anything, and a <c>*</c> segment one segment). The built-in roles are in <see cref="KeyVaultRoles"/>.
/// </summary>
public sealed class VaultRoleDefinition
{
    // Decisions per data action: those the vault's operations need, by index, each decided on first use (0 = not yet,
    // 1 = granted, -1 = not; a race decides twice, alike); others by name. A role is immutable.
    private readonly sbyte[] _known = new sbyte[OperationActions.DataActions.Count];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _decisions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a role definition.</summary>
    /// <param name="id">The role's id (Azure's role definition name: a GUID).</param>
    /// <param name="roleName">The role's display name.</param>
    /// <param name="description">What the role is for.</param>
    /// <param name="dataActions">The data actions granted.</param>
    /// <param name="notDataActions">The data actions excluded from those granted.</param>
    /// <param name="isBuiltIn">Whether the role is one of Azure's built-in roles.</param>
    public VaultRoleDefinition(string id, string roleName, string description, IEnumerable<string> dataActions, IEnumerable<string>? notDataActions = null, bool isBuiltIn = false)
    {
        if (!Guid.TryParse(id, out var parsed))
        {
            throw VaultErrors.BadParameter("VaultRoleDefinition.Id must be a GUID.");
        }

        if (string.IsNullOrWhiteSpace(roleName) || roleName.Length > 256)
        {
            throw VaultErrors.BadParameter("VaultRoleDefinition.RoleName must be 1 to 256 characters.");
        }

        Id = parsed.ToString("D");
        RoleName = roleName;
        Description = description ?? string.Empty;
        DataActions = Validate(dataActions, nameof(DataActions));
        NotDataActions = Validate(notDataActions ?? [], nameof(NotDataActions));
        IsBuiltIn = isBuiltIn;
    }

    /// <summary>The role's id (a GUID, Azure's role definition name).</summary>
    public string Id { get; }

    /// <summary>The role's display name.</summary>
    public string RoleName { get; }

    /// <summary>What the role is for.</summary>
    public string Description { get; }

    /// <summary>The data actions granted (wildcards allowed).</summary>
    public IReadOnlyList<string> DataActions { get; }

    /// <summary>The data actions excluded from <see cref="DataActions"/>.</summary>
    public IReadOnlyList<string> NotDataActions { get; }

    /// <summary>Whether this is one of Azure's built-in roles (which cannot be changed).</summary>
    public bool IsBuiltIn { get; }

    /// <summary>Whether the role grants <paramref name="dataAction"/>: a granted pattern matches it and no excluded one does.</summary>
    /// <param name="dataAction">A data action, for example <c>Microsoft.KeyVault/vaults/secrets/getSecret/action</c>.</param>
    /// <returns>True when granted.</returns>
    public bool Grants(string dataAction) => _decisions.GetOrAdd(dataAction, Decide, this);

    /// <summary>The hot path's check: the decision for a data action the vault's operations need, by its index.</summary>
    internal bool Grants(int actionIndex)
    {
        var known = Volatile.Read(ref _known[actionIndex]);
        if (known == 0)
        {
            known = Decide(OperationActions.DataActions[actionIndex], this) ? (sbyte)1 : (sbyte)-1;
            Volatile.Write(ref _known[actionIndex], known);
        }

        return known > 0;
    }

    private static bool Decide(string dataAction, VaultRoleDefinition role) =>
        role.DataActions.Any(p => DataActionPattern.Matches(p, dataAction)) && !role.NotDataActions.Any(p => DataActionPattern.Matches(p, dataAction));

    /// <inheritdoc/>
    public override string ToString() => $"VaultRoleDefinition {{ {RoleName} ({Id}) }}";

    private static string[] Validate(IEnumerable<string> actions, string field)
    {
        var list = actions.ToArray();
        if (list.Length > 200 || list.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 256 || !a.StartsWith("Microsoft.KeyVault/", StringComparison.OrdinalIgnoreCase)))
        {
            throw VaultErrors.BadParameter($"VaultRoleDefinition.{field} takes at most 200 data actions, each starting 'Microsoft.KeyVault/' and at most 256 characters.");
        }

        return list;
    }
}

/// <summary>Azure's wildcard matching of data actions: case-insensitive, <c>*</c> matching any run of characters.</summary>
internal static class DataActionPattern
{
    public static bool Matches(string pattern, string action)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, action, StringComparison.OrdinalIgnoreCase);
        }

        // Azure allows the wildcard anywhere; each '*' matches any run of characters (including '/').
        return System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, action, ignoreCase: true);
    }
}
