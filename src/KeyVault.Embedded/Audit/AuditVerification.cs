namespace KeyVault.Embedded.Audit;

/// <summary>What <see cref="EmbeddedVault.VerifyAuditAsync"/> found.</summary>
/// <param name="RecordCount">How many records the chain holds (from <see cref="FirstSequence"/> on).</param>
/// <param name="FirstBadSequence">The sequence number of the first record that is missing, altered or out of place; null when the chain is intact.</param>
/// <param name="Problem">What is wrong with it; null when the chain is intact.</param>
public sealed record AuditVerification(long RecordCount, long? FirstBadSequence, string? Problem)
{
    /// <summary>Whether every record is present, unaltered and in order, and the chain ends at its authenticated head.</summary>
    public bool IsIntact => FirstBadSequence is null;

    /// <summary>The sequence number of the chain's first record: 1, or past the records retention pruned.</summary>
    public long FirstSequence { get; init; } = 1;
}
