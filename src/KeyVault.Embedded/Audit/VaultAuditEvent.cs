using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// One operation's audit record, in the shape of Azure Key Vault's <c>AuditEvent</c> log category: what was done, by
/// whom, on which object, how it was allowed, and how it ended. Never a secret value, key byte, PIN or plaintext.
/// </summary>
public sealed class VaultAuditEvent
{
    /// <summary>When the operation started (UTC).</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>The vault's identifier (<c>embeddedvault://{vault id}/</c>).</summary>
    [JsonPropertyName("resourceId")]
    public string ResourceId { get; init; } = string.Empty;

    /// <summary>The operation, as Azure names it (<c>SecretGet</c>, <c>KeySign</c>, <c>VaultRotateRootKey</c>...).</summary>
    [JsonPropertyName("operationName")]
    public string OperationName { get; init; } = string.Empty;

    /// <summary>The Key Vault REST API version whose behaviour the operation follows.</summary>
    [JsonPropertyName("operationVersion")]
    public string OperationVersion { get; init; } = string.Empty;

    /// <summary>Always <c>AuditEvent</c>.</summary>
    [JsonPropertyName("category")]
    public string Category { get; init; } = "AuditEvent";

    /// <summary><c>Success</c> or <c>Failure</c>.</summary>
    [JsonPropertyName("resultType")]
    public string ResultType { get; init; } = string.Empty;

    /// <summary>The HTTP status's name: <c>OK</c>, <c>Forbidden</c>, <c>NotFound</c>, <c>Conflict</c>...</summary>
    [JsonPropertyName("resultSignature")]
    public string ResultSignature { get; init; } = string.Empty;

    /// <summary>For a failure, the error's code and message (which name the rule broken, never a value); else empty.</summary>
    [JsonPropertyName("resultDescription")]
    public string ResultDescription { get; init; } = string.Empty;

    /// <summary>How long the operation took, in milliseconds.</summary>
    [JsonPropertyName("durationMs")]
    public long DurationMs { get; init; }

    /// <summary>The caller's IP address, where the host supplies it.</summary>
    [JsonPropertyName("callerIpAddress")]
    public string? CallerIpAddress { get; init; }

    /// <summary>The current <see cref="System.Diagnostics.Activity"/>'s trace id, else null.</summary>
    [JsonPropertyName("correlationId")]
    public string? CorrelationId { get; init; }

    /// <summary>Who called.</summary>
    [JsonPropertyName("identity")]
    public VaultAuditIdentity Identity { get; init; } = new();

    /// <summary>The operation's details.</summary>
    [JsonPropertyName("properties")]
    public VaultAuditProperties Properties { get; init; } = new();

    /// <inheritdoc/>
    public override string ToString() => $"VaultAuditEvent {{ {Time:O} {OperationName} {ResultSignature} by {Identity.ObjectId} on {Properties.Id ?? "(vault)"} }}";
}

/// <summary>The caller of an audited operation (Azure's <c>identity.claim</c>).</summary>
public sealed class VaultAuditIdentity
{
    /// <summary>The principal's object id.</summary>
    [JsonPropertyName("oid")]
    public string ObjectId { get; init; } = string.Empty;

    /// <summary>The principal's display name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = string.Empty;

    /// <summary>User, application, service or group.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = string.Empty;
}

/// <summary>An audited operation's details (Azure's <c>properties</c>).</summary>
public sealed class VaultAuditProperties
{
    /// <summary>The object's identifier (<c>embeddedvault://{vault}/secrets/{name}</c>), or null for the vault or a whole type.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>The client, where the host supplies it.</summary>
    [JsonPropertyName("clientInfo")]
    public string? ClientInfo { get; init; }

    /// <summary>The HTTP status the operation maps to (200, 403, 404...).</summary>
    [JsonPropertyName("httpStatusCode")]
    public int HttpStatusCode { get; init; }

    /// <summary>Whether a role assignment allowed it; null when access control is off or the call was refused before deciding.</summary>
    [JsonPropertyName("isRbacAuthorized")]
    public bool? IsRbacAuthorized { get; init; }

    /// <summary>Whether an access policy allowed it; null when access control is off or the call was refused before deciding.</summary>
    [JsonPropertyName("isAccessPolicyMatch")]
    public bool? IsAccessPolicyMatch { get; init; }
}
