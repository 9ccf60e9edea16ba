using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// The audit trail's storage: blocks of records (<c>settings/audit/blocks/{n}</c>), each carrying the SHA-256 of the
/// one before, listed and authenticated by the manifest like every record; the newest listed block is the head; the
/// checkpoint (<c>settings/audit/checkpoint</c>) says where the chain starts once retention has pruned its oldest
/// blocks. Appends under the write lock, reads and verifies the chain, prunes.
/// </summary>
internal sealed class AuditChain(VaultCore core, int retentionDays, ILogger logger)
{
    public const string BlockPrefix = "audit/blocks/";
    public const string CheckpointSetting = "audit/checkpoint";

    /// <summary>At most this many blocks are pruned in one commit.</summary>
    private const int PruneBatch = 1000;

    private readonly VaultCore _core = core;
    private readonly int _retentionDays = retentionDays;
    private readonly ILogger _logger = logger;
    private long _block;
    private long _sequence;
    private string _hash = Genesis;

    /// <summary>The hash before the first record.</summary>
    public static string Genesis { get; } = new('0', 64);

    /// <summary>
    /// Puts <paramref name="batch"/> into <paramref name="tx"/> as the next block, chained after the newest; the chain
    /// moves on, and the records are marked durable, when the commit is.
    /// </summary>
    public void Append(VaultTransaction tx, IReadOnlyList<AuditEntry> batch)
    {
        var block = _block + 1;
        var first = _sequence + 1;
        var events = new VaultAuditEvent[batch.Count];
        for (var n = 0; n < batch.Count; n++)
        {
            events[n] = batch[n].ToEvent(_core.Uri);
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(new StoredAuditBlock(block, _hash, first, events), AuditJsonContext.Default.StoredAuditBlock);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var last = first + batch.Count - 1;
        VaultSettings.Put(tx, BlockName(block), Encoding.UTF8.GetString(bytes));
        tx.OnCommitted(() =>
        {
            (_block, _sequence, _hash) = (block, last, hash);
            foreach (var entry in batch)
            {
                entry.Committed = true;
            }
        });
    }

    /// <summary>Loads where the chain ends at open: its newest listed block (or, when retention pruned them all, the checkpoint).</summary>
    public async ValueTask LoadAsync(CancellationToken cancellationToken) => Apply(await ReadEndAsync(_core.Reader, cancellationToken).ConfigureAwait(false));

    /// <summary>Where the chain ends as <paramref name="reader"/> sees it (the vault's, or a manifest being caught up to), without taking it on.</summary>
    public async ValueTask<ChainEnd> ReadEndAsync(Integrity.RecordReader reader, CancellationToken cancellationToken)
    {
        var (start, _) = await StartAsync(cancellationToken, null, reader).ConfigureAwait(false);
        var end = new ChainEnd(start.Block - 1, start.First - 1, start.Previous);
        var listed = ListedBlocks(reader.Manifest);
        for (var i = listed.Count - 1; i >= 0; i--)
        {
            (StoredAuditBlock Block, string Hash)? stored;
            try
            {
                stored = await ReadBlockAsync(listed[i], cancellationToken, null, reader).ConfigureAwait(false);
            }
            catch (VaultIntegrityException)
            {
                stored = null;
            }

            if (stored is { } newest)
            {
                return new ChainEnd(listed[^1], newest.Block.First + newest.Block.Events.Count - 1, i == listed.Count - 1 ? newest.Hash : Genesis);
            }

            // The newest block is damaged or gone: the vault still opens and records (after the newest block number, so
            // nothing is overwritten); verification names the damage.
            end = end with { Block = listed[^1], Hash = Genesis };
        }

        return end;
    }

    /// <summary>Takes on where the chain ends (read by <see cref="ReadEndAsync"/>): the next block follows it.</summary>
    public void Apply(ChainEnd end)
    {
        (_block, _sequence, _hash) = (end.Block, end.Sequence, end.Hash);
        if (_hash == Genesis && _block > 0)
        {
            _logger.LogError(AuditTrail.AuditEventId, "The audit trail's newest block is damaged or missing; new records follow it, and VerifyAuditAsync names the first bad record.");
        }
    }

    /// <summary>The newest block, the last record's sequence number, and the hash the next block carries.</summary>
    internal readonly record struct ChainEnd(long Block, long Sequence, string Hash);

    /// <summary>Every record of the chain in order, checked block by block from its start to its newest block.</summary>
    public async ValueTask<(List<VaultAuditEvent> Events, AuditVerification Verification)> ReadChainAsync(CancellationToken cancellationToken)
    {
        var events = new List<VaultAuditEvent>();
        var (start, problem) = await StartAsync(cancellationToken).ConfigureAwait(false);
        var listed = ListedBlocks();
        var lastBlock = listed.Count > 0 ? listed[^1] : start.Block - 1;
        AuditVerification Bad(long at, string what) => new(Math.Max(0, _sequence - start.First + 1), at, what) { FirstSequence = start.First };
        if (problem is not null)
        {
            return (events, Bad(start.First, problem));
        }

        var previous = start.Previous;
        var next = start.First;
        for (var block = start.Block; block <= lastBlock; block++)
        {
            (StoredAuditBlock Block, string Hash)? stored;
            try
            {
                stored = await ReadBlockAsync(block, cancellationToken).ConfigureAwait(false);
            }
            catch (VaultIntegrityException ex)
            {
                return (events, Bad(next, $"the block of records from {next} fails its authentication: {ex.Message}"));
            }

            if (stored is null)
            {
                return (events, Bad(next, $"the block of records from {next} is missing or unreadable"));
            }

            var (found, hash) = stored.Value;
            if (found.Block != block || found.First != next || found.Events is not { Count: > 0 } || !string.Equals(found.Previous, previous, StringComparison.Ordinal))
            {
                return (events, Bad(next, $"the block of records from {next} does not follow the one before (altered, moved or replaced)"));
            }

            previous = hash;
            next += found.Events.Count;
            events.AddRange(found.Events);
        }

        if (listed.Count != lastBlock - start.Block + 1 || (listed.Count > 0 && listed[0] != start.Block))
        {
            return (events, Bad(next, $"{listed.Count - (lastBlock - start.Block + 1)} block(s) of records stand outside the chain"));
        }

        return (events, new AuditVerification(next - start.First, null, null) { FirstSequence = start.First });
    }

    /// <summary>
    /// Removes the blocks whose records are all older than the retention (<see cref="VaultAuditOptions.RetentionDays"/>),
    /// oldest first, and moves the checkpoint to the first block kept, in the same commit: the chain stays verifiable
    /// from there. Returns how many records were pruned.
    /// </summary>
    public async ValueTask<long> PruneAsync(CancellationToken cancellationToken)
    {
        if (_retentionDays <= 0)
        {
            return 0;
        }

        var cutoff = _core.Time.GetUtcNow() - TimeSpan.FromDays(_retentionDays);
        long pruned = 0;
        while (true)
        {
            var records = await _core.Writer.WriteAsync(async tx =>
            {
                var (start, problem) = await StartAsync(cancellationToken, tx).ConfigureAwait(false);
                if (problem is not null)
                {
                    throw new VaultIntegrityException($"The audit trail's checkpoint is damaged ({problem}); nothing was pruned.");
                }

                var checkpoint = start;
                long count = 0;
                for (var block = start.Block; block < start.Block + PruneBatch; block++)
                {
                    if (await ReadBlockAsync(block, cancellationToken, tx).ConfigureAwait(false) is not { } stored)
                    {
                        break; // past the newest block (or a missing one, which verification reports; pruning stops before it)
                    }

                    var (found, hash) = stored;
                    if (found.Block != block || found.First != checkpoint.First || !string.Equals(found.Previous, checkpoint.Previous, StringComparison.Ordinal))
                    {
                        throw new VaultIntegrityException($"The audit trail's block {block} does not follow the one before; nothing was pruned. Run VerifyAuditAsync.");
                    }

                    var newest = found.Events.Max(e => e.Time);
                    if (newest >= cutoff)
                    {
                        break;
                    }

                    VaultSettings.Delete(tx, BlockName(block));
                    checkpoint = new StoredAuditCheckpoint(block + 1, found.First + found.Events.Count, hash, newest);
                    count += found.Events.Count;
                }

                if (count > 0)
                {
                    VaultSettings.Put(tx, CheckpointSetting, JsonSerializer.Serialize(checkpoint, AuditJsonContext.Default.StoredAuditCheckpoint));
                }

                return count;
            }, cancellationToken).ConfigureAwait(false);
            pruned += records;
            if (records == 0)
            {
                return pruned;
            }
        }
    }

    /// <summary>Where the chain starts: the checkpoint retention left, or the first block; with what is wrong with the checkpoint, if anything.</summary>
    private async ValueTask<(StoredAuditCheckpoint Start, string? Problem)> StartAsync(CancellationToken cancellationToken, VaultTransaction? tx = null, Integrity.RecordReader? reader = null)
    {
        var genesis = new StoredAuditCheckpoint(1, 1, Genesis, DateTimeOffset.MinValue);
        SettingRecord? record;
        try
        {
            record = await Setting(CheckpointSetting, tx, cancellationToken, reader).ConfigureAwait(false);
        }
        catch (VaultIntegrityException ex)
        {
            return (genesis, $"the checkpoint fails its authentication: {ex.Message}");
        }

        if (record is null)
        {
            return (genesis, null);
        }

        try
        {
            return JsonSerializer.Deserialize(record.Value, AuditJsonContext.Default.StoredAuditCheckpoint) is { Block: > 1, First: > 1, Previous.Length: 64 } checkpoint
                ? (checkpoint, null)
                : (genesis, "the checkpoint is malformed");
        }
        catch (JsonException)
        {
            return (genesis, "the checkpoint is malformed");
        }
    }

    /// <summary>A setting as <paramref name="tx"/> sees it (its own changes included), or as committed.</summary>
    private ValueTask<SettingRecord?> Setting(string name, VaultTransaction? tx, CancellationToken cancellationToken, Integrity.RecordReader? reader = null) =>
        tx is null ? (reader ?? _core.Reader).SettingAsync(name, cancellationToken) : tx.SettingAsync(name, cancellationToken);

    /// <summary>The numbers of the blocks the manifest lists, in order.</summary>
    private List<long> ListedBlocks(Integrity.Manifest? manifest = null)
    {
        var prefix = RecordKeys.Setting(BlockPrefix);
        var blocks = new List<long>();
        foreach (var key in (manifest ?? _core.Manifest).KeysWithPrefix(prefix))
        {
            if (long.TryParse(key.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var block))
            {
                blocks.Add(block);
            }
        }

        return blocks;
    }

    /// <summary>A block as stored, with its hash (the SHA-256 of its bytes), or null when it is missing or unreadable.</summary>
    private async ValueTask<(StoredAuditBlock Block, string Hash)?> ReadBlockAsync(long block, CancellationToken cancellationToken, VaultTransaction? tx = null, Integrity.RecordReader? reader = null)
    {
        var record = await Setting(BlockName(block), tx, cancellationToken, reader).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var bytes = Encoding.UTF8.GetBytes(record.Value);
        try
        {
            return JsonSerializer.Deserialize(bytes, AuditJsonContext.Default.StoredAuditBlock) is { Events.Count: > 0 } stored
                ? (stored, Convert.ToHexStringLower(SHA256.HashData(bytes)))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string BlockName(long block) => BlockPrefix + block.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}
