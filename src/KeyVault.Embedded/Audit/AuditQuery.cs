namespace KeyVault.Embedded.Audit;

/// <summary>Which audit records to return; every condition set must hold.</summary>
public sealed class AuditQuery
{
    /// <summary>Records at or after this time.</summary>
    public DateTimeOffset? From { get; set; }

    /// <summary>Records before this time.</summary>
    public DateTimeOffset? To { get; set; }

    /// <summary>Records of this operation (<c>SecretGet</c>...).</summary>
    public string? OperationName { get; set; }

    /// <summary>Records of this caller's object id.</summary>
    public string? PrincipalId { get; set; }

    /// <summary>Records about this object id (<c>embeddedvault://{vault}/secrets/{name}</c>).</summary>
    public string? ObjectId { get; set; }

    /// <summary>Records with this result signature (<c>OK</c>, <c>Forbidden</c>...).</summary>
    public string? ResultSignature { get; set; }

    internal bool Matches(VaultAuditEvent e) =>
        (From is null || e.Time >= From) && (To is null || e.Time < To)
        && (OperationName is null || string.Equals(e.OperationName, OperationName, StringComparison.OrdinalIgnoreCase))
        && (PrincipalId is null || string.Equals(e.Identity.ObjectId, PrincipalId, StringComparison.OrdinalIgnoreCase))
        && (ObjectId is null || string.Equals(e.Properties.Id, ObjectId, StringComparison.OrdinalIgnoreCase))
        && (ResultSignature is null || string.Equals(e.ResultSignature, ResultSignature, StringComparison.OrdinalIgnoreCase));
}
