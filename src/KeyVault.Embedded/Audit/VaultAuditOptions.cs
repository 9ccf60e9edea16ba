namespace KeyVault.Embedded.Audit;

/// <summary>The audit trail: one record per operation, kept in the vault file as a verifiable hash chain and written to the log.</summary>
public sealed class VaultAuditOptions
{
    /// <summary>Whether operations are audited. Default false (as Azure, where a diagnostic setting turns audit logs on).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// At most how long a record of an operation that wrote nothing (a read, a refusal) waits before it is made durable,
    /// together with the others of that window. A write's record commits with the write, always. Default one second;
    /// at least 10 ms, at most one hour.
    /// </summary>
    public TimeSpan MaxFlushDelay { get; set; } = TimeSpan.FromSeconds(1);
}
