namespace KeyVault.Embedded.Access;

/// <summary>A role given to a principal (or a group) at a scope: Azure's role assignment.</summary>
public sealed class VaultRoleAssignment
{
    internal VaultRoleAssignment(string name, KeyVaultRoleScope scope, string roleDefinitionId, string principalId)
    {
        Name = name;
        Scope = scope;
        RoleDefinitionId = roleDefinitionId;
        PrincipalId = principalId;
    }

    /// <summary>The assignment's name (a GUID).</summary>
    public string Name { get; }

    /// <summary>Where it applies (and everything below).</summary>
    public KeyVaultRoleScope Scope { get; }

    /// <summary>The role's id.</summary>
    public string RoleDefinitionId { get; }

    /// <summary>The object id of the principal or group.</summary>
    public string PrincipalId { get; }

    /// <inheritdoc/>
    public override string ToString() => $"VaultRoleAssignment {{ {PrincipalId} has {RoleDefinitionId} at {Scope} }}";
}
