using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Access;

/// <summary>
/// Changes to access control: each one commit of the <c>settings/access</c> record, made under the vault's write
/// lock from the state in force (so two changes never lose one another), and in force once durable.
/// </summary>
internal sealed class VaultAccessControl : IVaultAccessControl
{
    private const int MaximumAssignments = 4000;
    private const int MaximumPolicies = 1024;
    private const int MaximumCustomRoles = 2000;
    private readonly VaultCore _core;
    private readonly OperationPipeline _operations;

    public VaultAccessControl(VaultCore core, OperationPipeline operations)
    {
        _core = core;
        _operations = operations;
    }

    public VaultAuthorizationMode Mode => _core.Access.State.Mode;

    public Task SetAuthorizationModeAsync(VaultAuthorizationMode mode, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(mode))
        {
            throw VaultErrors.BadParameter($"'{mode}' is not an authorization mode.");
        }

        return ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            RequireAdministrator(state, caller);
            var next = new AccessState(mode, state.Assignments, state.CustomRoles, state.Policies);
            if (mode != VaultAuthorizationMode.None && !next.Holds(caller, KeyVaultRoles.Administrator.Id))
            {
                throw VaultErrors.BadParameter(
                    $"Turning {mode} authorization on would lock '{caller.DisplayName}' ({caller.ObjectId}) out: first assign it (or a group it is in) the role Key Vault Administrator at '/'.");
            }

            return (next, true);
        }, cancellationToken);
    }

    /// <summary>
    /// Refuses a principal id no role or policy may be given to: one with control characters or white space at an end
    /// (ids are matched exactly, so it would never match a caller, and whatever lists the assignments would print the
    /// control characters raw), and <c>anonymous</c>, the principal of a request that is not authenticated
    /// (KeyVault.Embedded.AspNetCore): a grant to it would be a grant to every caller without a token, and Azure has no
    /// such principal to assign. Checked where access is granted, not where stored state is read.
    /// </summary>
    private static void RequireAssignable(string id, string what)
    {
        if (id.Any(char.IsControl) || char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]))
        {
            throw VaultErrors.BadParameter($"{what} must not hold control characters or begin or end with white space.");
        }

        if (id.Equals(AnonymousPrincipal, StringComparison.OrdinalIgnoreCase))
        {
            throw VaultErrors.BadParameter($"{what} cannot be 'anonymous': that principal stands for callers that are not authenticated.");
        }
    }

    /// <summary>The principal id the REST front gives a request that is not authenticated.</summary>
    internal const string AnonymousPrincipal = "anonymous";

    public Task<VaultRoleAssignment> CreateRoleAssignmentAsync(KeyVaultRoleScope scope, string roleDefinitionId, string principalId, string? name = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(principalId) || principalId.Length > 256)
        {
            throw VaultErrors.BadParameter("The principal id of a role assignment must be 1 to 256 characters.");
        }

        RequireAssignable(principalId, "The principal id of a role assignment");
        var assignmentName = name is null ? Guid.NewGuid().ToString("D") : Guid.TryParse(name, out var parsed) ? parsed.ToString("D") : throw VaultErrors.BadParameter("A role assignment's name must be a GUID.");
        return ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            var role = state.Role(roleDefinitionId ?? string.Empty)
                ?? throw new VaultException(VaultErrorCode.BadParameter, 400, $"The role definition '{roleDefinitionId}' does not exist (RoleDefinitionDoesNotExist).");
            RequireMayAssign(state, caller, role);
            if (state.Assignments.Any(a => a.Name.Equals(assignmentName, StringComparison.OrdinalIgnoreCase)
                || (a.Scope == scope && a.RoleDefinitionId.Equals(role.Id, StringComparison.OrdinalIgnoreCase) && a.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase))))
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, "The role assignment already exists (RoleAssignmentExists).");
            }

            if (state.Assignments.Count >= MaximumAssignments)
            {
                throw VaultErrors.BadParameter($"A vault holds at most {MaximumAssignments} role assignments.");
            }

            var assignment = new VaultRoleAssignment(assignmentName, scope, role.Id, principalId);
            return (new AccessState(state.Mode, [.. state.Assignments, assignment], state.CustomRoles, state.Policies), assignment);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<VaultRoleAssignment>> GetRoleAssignmentsAsync(KeyVaultRoleScope? scope = null, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<VaultRoleAssignment>>(state => [.. state.Assignments.Where(a => scope is null || a.Scope == scope.Value)], cancellationToken);

    public Task<VaultRoleAssignment> DeleteRoleAssignmentAsync(KeyVaultRoleScope scope, string name, CancellationToken cancellationToken = default) =>
        ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            var existing = state.Assignments.FirstOrDefault(a => a.Scope == scope && a.Name.Equals(name ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                ?? throw new VaultObjectNotFoundException(new VaultErrorCode("RoleAssignmentNotFound"), $"No role assignment '{name}' exists at '{scope}'.");
            RequireMayAssign(state, caller, state.Role(existing.RoleDefinitionId) ?? KeyVaultRoles.Administrator);
            var next = new AccessState(state.Mode, [.. state.Assignments.Where(a => !ReferenceEquals(a, existing))], state.CustomRoles, state.Policies);
            if (state.Mode != VaultAuthorizationMode.None && !next.Assignments.Any(a => a.Scope == KeyVaultRoleScope.Global && a.RoleDefinitionId == KeyVaultRoles.Administrator.Id))
            {
                throw VaultErrors.BadParameter("Removing the last Key Vault Administrator assignment at '/' would leave no one able to manage the vault's access.");
            }

            return (next, existing);
        }, cancellationToken);

    public Task<IReadOnlyList<VaultRoleDefinition>> GetRoleDefinitionsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<VaultRoleDefinition>>(state => [.. KeyVaultRoles.All, .. state.CustomRoles], cancellationToken);

    public Task<VaultRoleDefinition> CreateOrUpdateRoleDefinitionAsync(VaultRoleDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            RequireAdministrator(state, caller);
            if (definition.IsBuiltIn || KeyVaultRoles.All.Any(r => r.Id.Equals(definition.Id, StringComparison.OrdinalIgnoreCase)))
            {
                throw VaultErrors.BadParameter($"'{definition.RoleName}' is a built-in role: built-in roles cannot be changed.");
            }

            if (state.CustomRoles.Count >= MaximumCustomRoles)
            {
                throw VaultErrors.BadParameter($"A vault holds at most {MaximumCustomRoles} custom roles.");
            }

            var custom = new VaultRoleDefinition(definition.Id, definition.RoleName, definition.Description, definition.DataActions, definition.NotDataActions);
            var roles = state.CustomRoles.Where(r => !r.Id.Equals(custom.Id, StringComparison.OrdinalIgnoreCase)).Append(custom).ToList();
            return (new AccessState(state.Mode, state.Assignments, roles, state.Policies), custom);
        }, cancellationToken);
    }

    public Task DeleteRoleDefinitionAsync(string roleDefinitionId, CancellationToken cancellationToken = default) =>
        ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            RequireAdministrator(state, caller);
            var role = state.CustomRoles.FirstOrDefault(r => r.Id.Equals(roleDefinitionId ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                ?? throw new VaultObjectNotFoundException(new VaultErrorCode("RoleDefinitionNotFound"), $"No custom role '{roleDefinitionId}' exists (built-in roles cannot be deleted).");
            if (state.Assignments.Any(a => a.RoleDefinitionId.Equals(role.Id, StringComparison.OrdinalIgnoreCase)))
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, $"The role '{role.RoleName}' is still assigned (RoleDefinitionHasAssignments): remove its assignments first.");
            }

            return (new AccessState(state.Mode, state.Assignments, [.. state.CustomRoles.Where(r => !ReferenceEquals(r, role))], state.Policies), true);
        }, cancellationToken);

    public Task SetAccessPolicyAsync(VaultAccessPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        RequireAssignable(policy.ObjectId, "VaultAccessPolicy.ObjectId");
        return ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            RequireAdministrator(state, caller);
            var policies = state.Policies.Where(p => !p.ObjectId.Equals(policy.ObjectId, StringComparison.OrdinalIgnoreCase)).Append(policy).ToList();
            if (policies.Count > MaximumPolicies)
            {
                throw VaultErrors.BadParameter($"A vault holds at most {MaximumPolicies} access policies.");
            }

            return (new AccessState(state.Mode, state.Assignments, state.CustomRoles, policies), true);
        }, cancellationToken);
    }

    public Task RemoveAccessPolicyAsync(string objectId, CancellationToken cancellationToken = default) =>
        ChangeAsync(VaultOperation.AccessWrite, (state, caller) =>
        {
            RequireAdministrator(state, caller);
            var policies = state.Policies.Where(p => !p.ObjectId.Equals(objectId ?? string.Empty, StringComparison.OrdinalIgnoreCase)).ToList();
            return policies.Count == state.Policies.Count
                ? throw new VaultObjectNotFoundException(new VaultErrorCode("AccessPolicyNotFound"), $"No access policy for '{objectId}' exists.")
                : (new AccessState(state.Mode, state.Assignments, state.CustomRoles, policies), true);
        }, cancellationToken);

    public Task<IReadOnlyList<VaultAccessPolicy>> GetAccessPoliciesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(state => state.Policies, cancellationToken);

    private static void RequireAdministrator(AccessState state, VaultPrincipal caller)
    {
        if (state.Mode != VaultAuthorizationMode.None && !state.Holds(caller, KeyVaultRoles.Administrator.Id))
        {
            throw new VaultException(VaultErrorCode.Forbidden, 403,
                $"Caller is not authorized to perform action on resource. Caller: {caller.Kind} '{caller.DisplayName}' ({caller.ObjectId}). Action: 'Microsoft.Authorization/roleDefinitions/write'. Resource: '/'. Only Key Vault Administrator may change this. Nothing was changed.")
            {
                InnerErrorCode = VaultErrorCode.ForbiddenByRbac,
            };
        }
    }

    private static void RequireMayAssign(AccessState state, VaultPrincipal caller, VaultRoleDefinition role)
    {
        if (state.Mode == VaultAuthorizationMode.None || state.Holds(caller, KeyVaultRoles.Administrator.Id))
        {
            return;
        }

        // Azure's condition lets Data Access Administrator assign Key Vault Administrator too; here Administrator also owns
        // access control (modes, custom roles, policies), so that would let it take everything: it is left out.
        if (state.Holds(caller, KeyVaultRoles.DataAccessAdministrator.Id) && KeyVaultRoles.DataAccessAdministratorAssignable.Contains(role.Id) && role.Id != KeyVaultRoles.Administrator.Id)
        {
            return;
        }

        throw new VaultException(VaultErrorCode.Forbidden, 403,
            $"Caller is not authorized to perform action on resource. Caller: {caller.Kind} '{caller.DisplayName}' ({caller.ObjectId}). Action: 'Microsoft.Authorization/roleAssignments/write'. Resource: '/'. Role '{role.RoleName}' may be assigned by Key Vault Administrator{(KeyVaultRoles.DataAccessAdministratorAssignable.Contains(role.Id) && role.Id != KeyVaultRoles.Administrator.Id ? " or Key Vault Data Access Administrator" : string.Empty)}. Nothing was changed.")
        {
            InnerErrorCode = VaultErrorCode.ForbiddenByRbac,
        };
    }

    private Task<T> ReadAsync<T>(Func<AccessState, T> read, CancellationToken cancellationToken) =>
        _operations.RunAsync(VaultOperation.AccessRead, null, null, (this, read), static s => ValueTask.FromResult(s.read(s.Item1._core.Access.State)), cancellationToken).AsTask();

    private Task<T> ChangeAsync<T>(string operation, Func<AccessState, VaultPrincipal, (AccessState Next, T Result)> change, CancellationToken cancellationToken) =>
        _operations.RunAsync(operation, null, null, (this, change, cancellationToken), static async s =>
        {
            var access = s.Item1._core.Access;
            T result = default!;
            await s.Item1._core.Writer.WriteAsync(tx =>
            {
                // The state as this commit sees it: another access change may be in the same group commit.
                var (next, value) = s.change(tx.Item(AccessControl.Setting, access.State), access.Caller);
                tx.SetItem(AccessControl.Setting, next);
                result = value;
                VaultSettings.Put(tx, AccessControl.Setting, JsonSerializer.Serialize(AccessControl.Store(next), AccessJsonContext.Default.StoredAccess));
                tx.OnCommitted(() => access.Apply(next));
                return ValueTask.FromResult(true);
            }, s.cancellationToken).ConfigureAwait(false);
            return result;
        }, cancellationToken).AsTask();
}
