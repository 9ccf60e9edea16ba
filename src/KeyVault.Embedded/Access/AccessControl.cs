using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Access;

/// <summary>
/// Decides, for every operation, whether the caller may run it: the authorization policy of the operation path (after
/// telemetry and audit, before any work). Off (<see cref="VaultAuthorizationMode.None"/>) it costs one field read. The state is a vault record
/// (<c>settings/access</c>), read through the verified reader at open and swapped when a change commits.
/// </summary>
internal sealed class AccessControl : OperationPolicy
{
    public const string Setting = "access";
    // The last decision each thread made on this vault: a long-lived client calling again as the same caller, on the
    // same object, under the same (immutable) access state, is answered without a look-up. Any change of access control
    // swaps the state, so the memo cannot outlive a revocation. Decisions that depended on the key's type are not kept.
    // Per vault, so that it goes with the vault.
    private readonly ThreadLocal<Memo> _memo = new(static () => new Memo());

    private readonly AsyncLocal<VaultPrincipal?> _runAs = new();
    private volatile IVaultCallerAccessor? _accessor;
    private volatile AccessState _state = AccessState.None;

    public AccessControl(IVaultCallerAccessor? accessor)
    {
        _accessor = accessor;
    }

    public AccessState State => _state;

    /// <summary>
    /// Attaches the host's accessor to a vault another user of the process opened first (the configuration source):
    /// the accessor of <c>AddEmbeddedVault</c> must not be lost by the order things open in.
    /// </summary>
    public void UseAccessor(IVaultCallerAccessor accessor)
    {
        var current = _accessor;
        if (current is not null && !ReferenceEquals(current, accessor) && current.GetType() != accessor.GetType())
        {
            throw VaultErrors.BadParameter("The vault is already open in this process with another caller accessor: give every user of it the same EmbeddedVaultOptions.CallerAccessor.");
        }

        _accessor = accessor;
    }

    /// <summary>The host's caller accessor, if it set one.</summary>
    public IVaultCallerAccessor? Accessor => _accessor;

    /// <summary>The caller of the current operation: a <see cref="EmbeddedVault.RunAs"/> scope, else the host's accessor, else the application.</summary>
    public VaultPrincipal Caller => _runAs.Value ?? _accessor?.GetCaller() ?? VaultPrincipal.Application;

    public static async ValueTask<AccessState> ReadAsync(VaultSettings settings, CancellationToken cancellationToken)
    {
        var json = await settings.GetAsync(Setting, cancellationToken).ConfigureAwait(false);
        return json is null ? AccessState.None : Compile(Parse(json));
    }

    public static StoredAccess Parse(string json) =>
        JsonSerializer.Deserialize(json, AccessJsonContext.Default.StoredAccess) ?? throw new VaultIntegrityException("The vault's access control setting is unreadable.");

    public static AccessState Compile(StoredAccess stored)
    {
        try
        {
            var mode = Enum.Parse<VaultAuthorizationMode>(stored.Mode, ignoreCase: false);
            var roles = stored.Roles.Select(r => new VaultRoleDefinition(r.Id, r.Name, r.Description, r.DataActions, r.NotDataActions)).ToList();
            var assignments = stored.Assignments.Select(a => new VaultRoleAssignment(a.Name, new KeyVaultRoleScope(a.Scope), a.RoleDefinitionId, a.PrincipalId)).ToList();
            var policies = stored.Policies.Select(p => new VaultAccessPolicy(p.ObjectId, p.Keys, p.Secrets, p.Certificates)).ToList();
            return new AccessState(mode, assignments, roles, policies);
        }
        catch (Exception ex) when (ex is VaultException or ArgumentException)
        {
            // The record passed its authentication, so only a vault of another version could have written this.
            throw new VaultIntegrityException("The vault's access control setting holds values this version does not accept.", ex);
        }
    }

    public static StoredAccess Store(AccessState state) => new(
        state.Mode.ToString(),
        [.. state.Assignments.Select(a => new StoredAssignment(a.Name, a.Scope.Value, a.RoleDefinitionId, a.PrincipalId))],
        [.. state.CustomRoles.Select(r => new StoredRole(r.Id, r.RoleName, r.Description, [.. r.DataActions], [.. r.NotDataActions]))],
        [.. state.Policies.Select(p => new StoredPolicy(p.ObjectId, [.. p.Keys], [.. p.Secrets], [.. p.Certificates]))]);

    public void Apply(AccessState state) => _state = state;

    public IDisposable RunAs(VaultPrincipal principal)
    {
        var previous = _runAs.Value;
        _runAs.Value = principal;
        return new Scope(this, principal, previous);
    }

    /// <summary>The authorization policy of the operation path: the caller and how the call was allowed go into its context.</summary>
    public override void OnStart(ref OperationContext context)
    {
        var state = _state;
        if (state.Mode == VaultAuthorizationMode.None)
        {
            context.Authorization = OperationAuthorization.Unrestricted;
            return;
        }

        var caller = Caller;
        context.Caller = caller;
        var last = _memo.Value!;
        if (ReferenceEquals(last.State, state) && ReferenceEquals(last.Caller, caller) && ReferenceEquals(last.Operation, context.Operation)
            && last.Type == context.Type && string.Equals(last.Name, context.Name, StringComparison.Ordinal))
        {
            context.Authorization = last.Decision;
            return;
        }

        context.Authorization = Decide(state, caller, context.Operation, context.Type, context.Name, context.IsAsymmetricKey, out var byKeyType);
        context.ReliedOnKeyType = byKeyType;
        if (!byKeyType)
        {
            last.Remember(state, caller, context.Operation, context.Type, context.Name, context.Authorization);
        }
    }

    /// <inheritdoc/>
    public override void OnEnd(ref OperationContext context, Exception? failure)
    {
    }

    /// <summary>Refuses the operation unless the caller may run it (a further right one operation needs, checked inside it).</summary>
    /// <param name="operation">The operation's name (<see cref="VaultOperation"/>).</param>
    /// <param name="type">The object type it acts on, if any.</param>
    /// <param name="name">The object it acts on, if any.</param>
    /// <param name="isAsymmetric">For encrypt, wrap and verify: whether the key is RSA or EC (then reading the key suffices).</param>
    /// <exception cref="VaultException"><c>Forbidden</c> (403) with inner code <c>ForbiddenByRbac</c> or <c>AccessDenied</c>.</exception>
    public void Authorize(string operation, ObjectType? type, string? name, Func<bool>? isAsymmetric = null)
    {
        var state = _state;
        if (state.Mode != VaultAuthorizationMode.None)
        {
            Decide(state, Caller, operation, type, name, isAsymmetric, out _);
        }
    }

    private static OperationAuthorization Decide(AccessState state, VaultPrincipal caller, string operation, ObjectType? type, string? name, Func<bool>? isAsymmetric, out bool byKeyType)
    {
        byKeyType = false;
        if (state.Mode == VaultAuthorizationMode.None)
        {
            return OperationAuthorization.Unrestricted;
        }

        var need = OperationActions.For(operation);
        if (need.Target == ActionTarget.Vault && operation is VaultOperation.AccessRead or VaultOperation.AccessWrite)
        {
            // Access management, in either mode: a role granting it (Administrator's vaults/*, Reader's vaults/*/read for
            // reading), or Data Access Administrator (whose limits on which roles it assigns are checked by the change).
            if (state.RbacAllows(caller, need.ActionIndex, KeyVaultRoleScope.Global) || state.Holds(caller, KeyVaultRoles.DataAccessAdministrator.Id))
            {
                return OperationAuthorization.Rbac;
            }

            throw Denied(state, caller, need, KeyVaultRoleScope.Global);
        }

        var target = TargetOf(need.Target, type, name);
        if (state.Mode == VaultAuthorizationMode.Rbac)
        {
            if (state.RbacAllows(caller, need.ActionIndex, target))
            {
                return OperationAuthorization.Rbac;
            }

            if (need.PublicKeyOperation && state.RbacAllows(caller, OperationActions.KeyReadIndex, target) && isAsymmetric?.Invoke() == true)
            {
                byKeyType = true;
                return OperationAuthorization.Rbac;
            }

            throw Denied(state, caller, need, target.Scope);
        }

        // Access policies: per principal and type; vault administration needs the Administrator role.
        if (need.PolicyType is { } policyType)
        {
            return state.PolicyAllows(caller, policyType, need.Permission) ? OperationAuthorization.AccessPolicy : throw Denied(state, caller, need, target.Scope);
        }

        return state.Holds(caller, KeyVaultRoles.Administrator.Id) ? OperationAuthorization.Rbac : throw Denied(state, caller, need, target.Scope);
    }

    private static AccessState.Target TargetOf(ActionTarget target, ObjectType? type, string? name) => target switch
    {
        ActionTarget.Vault => default,
        ActionTarget.ManagedSecret => ObjectTarget("secrets", name),
        ActionTarget.ManagedKey => ObjectTarget("keys", name),
        _ when type is null => default,
        ActionTarget.Type => new AccessState.Target(type.Value.ScopeSegment(), null),
        _ => ObjectTarget(type.Value.ScopeSegment(), name),
    };

    /// <summary>An object's target; a name that is not a valid object name (refused by the operation itself) is checked at its type.</summary>
    private static AccessState.Target ObjectTarget(string segment, string? name) =>
        new(segment, name is not null && IsObjectName(name) ? name : null);

    private static bool IsObjectName(string name)
    {
        if (name.Length is 0 or > 127)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }


    private static VaultException Denied(AccessState state, VaultPrincipal caller, OperationAction need, KeyVaultRoleScope scope) =>
        state.Mode == VaultAuthorizationMode.Rbac || need.PolicyType is null
            ? new VaultException(VaultErrorCode.Forbidden, 403,
                $"Caller is not authorized to perform action on resource. Caller: {caller.Kind} '{caller.DisplayName}' ({caller.ObjectId}). Action: '{need.DataAction}'. Resource: '{scope}'. Assignment: (not found). Nothing was changed.")
            {
                InnerErrorCode = VaultErrorCode.ForbiddenByRbac,
            }
            : new VaultException(VaultErrorCode.Forbidden, 403,
                $"The {caller.Kind.ToString().ToLowerInvariant()} '{caller.DisplayName}' ({caller.ObjectId}) does not have {need.PolicyType.Value.ScopeSegment()} {need.Permission} permission on this vault ('{scope}'). Nothing was changed.")
            {
                InnerErrorCode = VaultErrorCode.AccessDenied,
            };

    /// <summary>One thread's last allowed decision (reused in place: a miss allocates nothing).</summary>
    private sealed class Memo
    {
        public AccessState? State { get; private set; }

        public VaultPrincipal? Caller { get; private set; }

        public string? Operation { get; private set; }

        public ObjectType? Type { get; private set; }

        public string? Name { get; private set; }

        public OperationAuthorization Decision { get; private set; }

        public void Remember(AccessState state, VaultPrincipal caller, string operation, ObjectType? type, string? name, OperationAuthorization decision)
        {
            State = state;
            Caller = caller;
            Operation = operation;
            Type = type;
            Name = name;
            Decision = decision;
        }
    }

    private sealed class Scope(AccessControl owner, VaultPrincipal principal, VaultPrincipal? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;

            // Scopes end innermost first; an outer one ended early must not hand an inner caller its outer principal back.
            if (!ReferenceEquals(owner._runAs.Value, principal))
            {
                throw new InvalidOperationException("RunAs scopes must be disposed innermost first.");
            }

            owner._runAs.Value = previous;
        }
    }
}
