using System.Diagnostics;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Audit;

/// <summary>One operation's record as it is built.</summary>
internal sealed class AuditEntry(string operation, ObjectType? type, string? name, DateTimeOffset time, long started, string? correlationId)
{
    public string Operation { get; } = operation;

    public ObjectType? Type { get; } = type;

    public string? Name { get; } = name;

    public string? CorrelationId { get; } = correlationId;

    public string? CallerIpAddress { get; private set; }

    public string? ClientInfo { get; private set; }

    /// <summary>Where the call came from, as the host tells it.</summary>
    public void From(string? ipAddress, string? clientInfo) => (CallerIpAddress, ClientInfo) = (ipAddress, clientInfo);

    public VaultPrincipal? Caller { get; private set; }

    public OperationAuthorization Authorization { get; private set; }

    public int Status { get; private set; } = 200;

    public string Signature { get; private set; } = "OK";

    public string Description { get; private set; } = string.Empty;

    public long DurationMs { get; private set; }

    /// <summary>Staged into a write's transaction (as succeeded).</summary>
    public bool Staged { get; private set; }

    /// <summary>The operation has ended (its record is final, and queued unless it committed).</summary>
    public bool Completed { get; private set; }

    /// <summary>Made durable.</summary>
    public bool Committed { get; set; }

    /// <summary>The caller and decision, once the operation path has passed authorization (before the work).</summary>
    public void Began(VaultPrincipal? caller, OperationAuthorization authorization)
    {
        Caller = caller ?? VaultPrincipal.Application;
        Authorization = authorization;
    }

    /// <summary>Fixes the record of an operation whose write is committing now: it succeeded.</summary>
    public void Stage(DateTimeOffset now)
    {
        Staged = true;
        DurationMs = Math.Max(0, (long)(now - time).TotalMilliseconds);
    }

    /// <summary>
    /// Takes back <see cref="Stage"/>: the commit it was staged into was not made, and its work runs again. A record made
    /// durable by an earlier commit of the same operation stays staged (it is not recorded twice).
    /// </summary>
    public void Unstage()
    {
        if (!Committed)
        {
            Staged = false;
        }
    }

    public void Complete(VaultPrincipal caller, OperationAuthorization authorization, Exception? failure)
    {
        Completed = true;
        DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (Committed)
        {
            return; // the durable record stands: the change it describes happened
        }

        Caller = caller;
        Authorization = authorization;

        (Status, Signature, Description) = failure switch
        {
            null => (200, "OK", string.Empty),
            VaultException v => (v.Status, SignatureOf(v.Status), v.InnerErrorCode is { } inner ? $"{v.ErrorCode} ({inner}): {v.Message}" : $"{v.ErrorCode}: {v.Message}"),
            OperationCanceledException => (499, "Canceled", "The caller cancelled the operation."),
            _ => (500, "InternalServerError", failure.GetType().Name),
        };
    }

    public VaultAuditEvent ToEvent(Uri vault)
    {
        var caller = Caller ?? VaultPrincipal.Application;
        var authorization = Authorization;
        return new VaultAuditEvent
        {
            Time = time,
            ResourceId = vault.ToString(),
            OperationName = Operation,
            OperationVersion = AuditTrail.OperationVersion,
            ResultType = Status < 400 ? "Success" : "Failure",
            ResultSignature = Signature,
            ResultDescription = Description,
            DurationMs = DurationMs,
            CorrelationId = CorrelationId,
            CallerIpAddress = CallerIpAddress,
            Identity = new VaultAuditIdentity { ObjectId = caller.ObjectId, Name = caller.DisplayName, Kind = caller.Kind.ToString() },
            Properties = new VaultAuditProperties
            {
                Id = Name is null || Type is null ? null : new Uri(vault, $"{Type.Value.ScopeSegment()}/{EscapedName(Name)}").ToString(),
                ClientInfo = ClientInfo,
                HttpStatusCode = Status,
                IsRbacAuthorized = authorization switch { OperationAuthorization.Unrestricted => null, OperationAuthorization.Undecided => null, var a => a == OperationAuthorization.Rbac },
                IsAccessPolicyMatch = authorization switch { OperationAuthorization.Unrestricted => null, OperationAuthorization.Undecided => null, var a => a == OperationAuthorization.AccessPolicy },
            },
        };
    }


    /// <summary>
    /// The object's name as the record's id carries it: as the caller gave it (the name may be invalid, the call then
    /// refused), so escaped (no <c>../</c> can name another object) and cut to 256 characters.
    /// </summary>
    private static string EscapedName(string name)
    {
        var cut = name.Length > 256 ? name[..256] : name;
        try
        {
            return Uri.EscapeDataString(cut);
        }
        catch (UriFormatException)
        {
            return "(unreadable name)";
        }
    }

    private static string SignatureOf(int status) => status switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ when status >= 500 => "InternalServerError",
        _ => "OK",
    };
}
