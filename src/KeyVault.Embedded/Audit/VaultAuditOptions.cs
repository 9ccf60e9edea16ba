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

    /// <summary>
    /// When set, every operation returns only once its record is durable: a read or a refusal waits for a commit (shared
    /// with the others waiting at the time), a write's record is in its commit anyway. Default false: reads stay
    /// microseconds and a crash loses at most the last <see cref="MaxFlushDelay"/> of their records.
    /// </summary>
    public bool Strict { get; set; }

    /// <summary>
    /// How many days records are kept; 0 (the default) keeps them for ever. Older ones are pruned by
    /// <see cref="EmbeddedVault.PruneAuditAsync"/> (the background service calls it every pass), which leaves an
    /// authenticated checkpoint so that the chain still verifies from the first record kept. At most 36,500.
    /// </summary>
    public int RetentionDays { get; set; }
}
