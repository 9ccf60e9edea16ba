namespace KeyVault.Embedded.Access;

/// <summary>
/// The vault's access control (<see cref="EmbeddedVault.Access"/>): Azure's role-based access control (role
/// definitions, scopes, role assignments) or its legacy access policies, and the switch between them. Changes are
/// vault records, authenticated like every record, and apply from the next operation on, in every client.
/// </summary>
/// <remarks>
/// Who may change it: anyone while the mode is <see cref="VaultAuthorizationMode.None"/>; afterwards a holder of Key
/// Vault Administrator at <c>/</c>, and for role assignments of the Key Vault data roles also a holder of Key Vault
/// Data Access Administrator at <c>/</c>, as in Azure.
/// </remarks>
public interface IVaultAccessControl
{
    /// <summary>The authorization mode in force.</summary>
    VaultAuthorizationMode Mode { get; }

    /// <summary>Switches the authorization mode (Azure's <c>enableRbacAuthorization</c>).</summary>
    /// <param name="mode">The new mode.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the change is on disk.</returns>
    /// <exception cref="VaultException">
    /// <c>BadParameter</c> when turning access control on would lock the caller out (it must hold Key Vault
    /// Administrator at <c>/</c>); <c>Forbidden</c> when the caller may not change access control.
    /// </exception>
    Task SetAuthorizationModeAsync(VaultAuthorizationMode mode, CancellationToken cancellationToken = default);

    /// <summary>Assigns a role to a principal or group at a scope.</summary>
    /// <param name="scope">Where it applies (and below).</param>
    /// <param name="roleDefinitionId">The role's id (<see cref="KeyVaultRoles"/> or a custom role).</param>
    /// <param name="principalId">The principal's or group's object id.</param>
    /// <param name="name">The assignment's name (a GUID); a new one when null.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The assignment.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> for an unknown role; <c>Conflict</c> when it exists; <c>Forbidden</c>.</exception>
    Task<VaultRoleAssignment> CreateRoleAssignmentAsync(KeyVaultRoleScope scope, string roleDefinitionId, string principalId, string? name = null, CancellationToken cancellationToken = default);

    /// <summary>Lists role assignments, at a scope or everywhere.</summary>
    /// <param name="scope">Only those at this scope; all when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The assignments.</returns>
    Task<IReadOnlyList<VaultRoleAssignment>> GetRoleAssignmentsAsync(KeyVaultRoleScope? scope = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a role assignment.</summary>
    /// <param name="scope">Its scope.</param>
    /// <param name="name">Its name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The removed assignment.</returns>
    /// <exception cref="VaultObjectNotFoundException"><c>RoleAssignmentNotFound</c>.</exception>
    Task<VaultRoleAssignment> DeleteRoleAssignmentAsync(KeyVaultRoleScope scope, string name, CancellationToken cancellationToken = default);

    /// <summary>Lists the role definitions: the built-in roles and the vault's custom roles.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The definitions.</returns>
    Task<IReadOnlyList<VaultRoleDefinition>> GetRoleDefinitionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a custom role.</summary>
    /// <param name="definition">The role (not a built-in one).</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored role.</returns>
    Task<VaultRoleDefinition> CreateOrUpdateRoleDefinitionAsync(VaultRoleDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Deletes a custom role that no assignment uses.</summary>
    /// <param name="roleDefinitionId">The role's id.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the change is on disk.</returns>
    Task DeleteRoleDefinitionAsync(string roleDefinitionId, CancellationToken cancellationToken = default);

    /// <summary>Sets (adds or replaces) the access policy of one principal or group.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the change is on disk.</returns>
    Task SetAccessPolicyAsync(VaultAccessPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Removes the access policy of one principal or group.</summary>
    /// <param name="objectId">Its object id.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the change is on disk.</returns>
    Task RemoveAccessPolicyAsync(string objectId, CancellationToken cancellationToken = default);

    /// <summary>Lists the access policies.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The policies.</returns>
    Task<IReadOnlyList<VaultAccessPolicy>> GetAccessPoliciesAsync(CancellationToken cancellationToken = default);
}
