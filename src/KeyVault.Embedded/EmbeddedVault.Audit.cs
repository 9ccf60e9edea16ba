using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded;

// The vault's audit trail: verification, queries, pruning and export.
public sealed partial class EmbeddedVault
{
    /// <summary>
    /// Checks the audit trail: every record present, unaltered and in order, each block carrying the previous one's
    /// hash, from the first record (or the checkpoint retention left) to the newest block, which the vault's manifest
    /// authenticates under its key hierarchy. Records still inside their flush window are made durable first.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The record count, and the first bad record with what is wrong, if any.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when auditing is off.</exception>
    public Task<Audit.AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.AuditRead, null, null, (this, cancellationToken), static async s =>
        {
            var audit = s.Item1.AuditTrail();
            await audit.FlushAsync().ConfigureAwait(false);
            await s.Item1._core.Writer.RefreshAsync(s.cancellationToken).ConfigureAwait(false); // the records of other instances too
            return (await audit.ReadChainAsync(s.cancellationToken).ConfigureAwait(false)).Verification;
        }, cancellationToken).AsTask();

    /// <summary>The audit records that match <paramref name="query"/>, oldest first, from a chain that verifies.</summary>
    /// <param name="query">The conditions; null for every record.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The matching records.</returns>
    /// <exception cref="VaultIntegrityException">The chain does not verify (see <see cref="VerifyAuditAsync"/>).</exception>
    /// <exception cref="VaultException"><c>BadParameter</c> when auditing is off.</exception>
    public Task<IReadOnlyList<Audit.VaultAuditEvent>> GetAuditEventsAsync(Audit.AuditQuery? query = null, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.AuditRead, null, null, (this, query, cancellationToken), static async s =>
        {
            var audit = s.Item1.AuditTrail();
            await audit.FlushAsync().ConfigureAwait(false);
            await s.Item1._core.Writer.RefreshAsync(s.cancellationToken).ConfigureAwait(false);
            var (events, verification) = await audit.ReadChainAsync(s.cancellationToken).ConfigureAwait(false);
            if (!verification.IsIntact)
            {
                throw new VaultIntegrityException($"The audit trail does not verify: {verification.Problem}.");
            }

            return (IReadOnlyList<Audit.VaultAuditEvent>)[.. events.Where(e => s.query?.Matches(e) ?? true)];
        }, cancellationToken).AsTask();

    /// <summary>
    /// Removes the audit records older than <see cref="Audit.VaultAuditOptions.RetentionDays"/> (whole blocks, oldest
    /// first) and leaves an authenticated checkpoint, so that the chain still verifies from the first record kept.
    /// Nothing is pruned when the retention is 0 (keep for ever). The background service calls this every pass.
    /// </summary>
    /// <param name="cancellationToken">Cancels before the next batch of blocks.</param>
    /// <returns>How many records were removed.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when auditing is off.</exception>
    /// <exception cref="VaultIntegrityException">The chain does not follow from its checkpoint: nothing was pruned.</exception>
    public Task<long> PruneAuditAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.AuditPrune, null, null, (this, cancellationToken), static s => s.Item1.AuditTrail().PruneAsync(s.cancellationToken), cancellationToken).AsTask();

    /// <summary>Writes the matching audit records as JSON Lines, one Azure <c>AuditEvent</c> per line.</summary>
    /// <param name="destination">Where to write (left open).</param>
    /// <param name="query">The conditions; null for every record.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>How many records were written.</returns>
    public async Task<int> ExportAuditAsync(Stream destination, Audit.AuditQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var events = await GetAuditEventsAsync(query, cancellationToken).ConfigureAwait(false);
        foreach (var e in events)
        {
            await System.Text.Json.JsonSerializer.SerializeAsync(destination, e, Audit.AuditJsonContext.Default.VaultAuditEvent, cancellationToken).ConfigureAwait(false);
            destination.WriteByte((byte)'\n');
        }

        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return events.Count;
    }

    private Audit.AuditTrail AuditTrail() =>
        _core.Audit ?? throw VaultErrors.BadParameter("Auditing is off for this vault: set EmbeddedVaultOptions.Audit.Enabled.");
}
