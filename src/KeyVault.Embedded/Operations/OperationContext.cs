using KeyVault.Embedded.Access;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Operations;

/// <summary>How an operation was allowed to run.</summary>
internal enum OperationAuthorization
{
    /// <summary>Not decided yet (authorization has not run, or refused the call).</summary>
    Undecided,

    /// <summary>Access control is off: the application is the only principal and may do everything.</summary>
    Unrestricted,

    /// <summary>A role assignment (RBAC) allowed it.</summary>
    Rbac,

    /// <summary>An access policy allowed it.</summary>
    AccessPolicy,
}

/// <summary>
/// One operation as it passes the pipeline's policies: what it is (operation, object), who asked, how it was allowed,
/// and what each policy keeps between the operation's start and its end. A struct passed by reference: the hot path
/// allocates nothing for it.
/// </summary>
internal struct OperationContext
{
    public OperationContext(string operation, ObjectType? type, string? name, Func<bool>? isAsymmetricKey)
    {
        Operation = operation;
        Type = type;
        Name = name;
        IsAsymmetricKey = isAsymmetricKey;
    }

    /// <summary>The operation's name (<see cref="VaultOperation"/>), as Azure's audit logs name it.</summary>
    public string Operation { get; }

    /// <summary>The object type it acts on, if any.</summary>
    public ObjectType? Type { get; }

    /// <summary>The object it acts on, if any (null for the vault or a whole type).</summary>
    public string? Name { get; }

    /// <summary>For encrypt, wrap and verify: whether the key is RSA or EC (then reading the key suffices, as in Azure).</summary>
    public Func<bool>? IsAsymmetricKey { get; }

    /// <summary>Who called, once authorization has looked.</summary>
    public VaultPrincipal? Caller { get; set; }

    /// <summary>How the call was allowed.</summary>
    public OperationAuthorization Authorization { get; set; }

    /// <summary>Whether the call was allowed by Azure's public-key rule (read on an RSA or EC key): the key it then uses must still be one.</summary>
    internal bool ReliedOnKeyType;

    /// <summary>The audit policy's record of this operation, when auditing is on.</summary>
    internal Audit.AuditEntry? Audit;

    /// <summary>The telemetry policy's timing and activity.</summary>
    internal VaultTelemetry.Scope Telemetry;

    /// <summary>How many policies have started (and so must hear the end).</summary>
    internal int Started;
}
