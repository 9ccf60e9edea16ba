using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// The audit trail's storage: blocks of records (<c>~audit/{n}</c>, store id <see cref="RecordIds.AuditBlock"/>), each
/// carrying the SHA-256 of the one before. Blocks are not listed in the manifest: the chain's head (the newest block's
/// number, last sequence number and SHA-256) rides in the head every manifest bucket a commit writes, under the bucket's
/// MAC, so the newest block is authenticated by the key hierarchy and each older one by the hash its successor carries.
/// The checkpoint (<c>settings/audit/checkpoint</c>, a listed record) says where the chain starts once retention has
/// pruned its oldest blocks. Appends under the write lock, reads and verifies the chain, prunes.
/// </summary>
internal sealed class AuditChain(VaultCore core, int retentionDays, ILogger logger)
{
    public const string BlockPrefix = "~audit/";
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
        var digest = SHA256.HashData(bytes);
        var hash = Convert.ToHexStringLower(digest);
        var last = first + batch.Count - 1;
        tx.PutUnlisted(new Storage.StoredRecord(RecordIds.AuditBlock(block), BlockName(block), bytes));
        tx.AuditHead = new Integrity.AuditHead(block, last, Integrity.RecordHash.Read(digest));
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
    public async ValueTask LoadAsync(CancellationToken cancellationToken)
    {
        var head = _core.Manifest.Audit;
        if (head.Block > 0)
        {
            (_block, _sequence, _hash) = (head.Block, head.Sequence, Convert.ToHexStringLower(head.Hash.ToArray()));
            return;
        }

        // No block yet, or every one pruned (the head then still names the last one): the checkpoint, else genesis.
        var (start, _) = await StartAsync(cancellationToken).ConfigureAwait(false);
        (_block, _sequence, _hash) = (start.Block - 1, start.First - 1, start.Previous);
    }

    /// <summary>Every record of the chain in order, checked block by block from its start to its newest block.</summary>
    /// <remarks>
    /// Blocks are read from the store as commits go on: a block committed but not yet in the manifest's head, or pruned
    /// meanwhile, would look out of place. A check that fails while the vault's generation moved (after any commit in
    /// flight has settled) is therefore made again, up to three times.
    /// </remarks>
    public async ValueTask<(List<VaultAuditEvent> Events, AuditVerification Verification)> ReadChainAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var generation = _core.Manifest.Generation;
            var result = await ReadChainOnceAsync(cancellationToken).ConfigureAwait(false);
            if (result.Verification.IsIntact || attempt == 3)
            {
                return result;
            }

            await _core.Writer.SettledAsync().ConfigureAwait(false);
            if (_core.Manifest.Generation == generation)
            {
                return result;
            }
        }
    }

    private async ValueTask<(List<VaultAuditEvent> Events, AuditVerification Verification)> ReadChainOnceAsync(CancellationToken cancellationToken)
    {
        var events = new List<VaultAuditEvent>();
        var (start, problem) = await StartAsync(cancellationToken).ConfigureAwait(false);
        var head = _core.Manifest.Audit;
        var lastBlock = head.Block > 0 ? head.Block : start.Block - 1;
        var lastSequence = head.Block > 0 ? head.Sequence : start.First - 1;
        AuditVerification Bad(long at, string what) => new(Math.Max(0, lastSequence - start.First + 1), at, what) { FirstSequence = start.First };
        if (problem is not null)
        {
            return (events, Bad(start.First, problem));
        }

        // Forward: every block present, numbered and sequenced in order.
        var blocks = new List<(StoredAuditBlock Found, string Hash, long First)>();
        var next = start.First;
        long? bad = null;
        for (var block = start.Block; block <= lastBlock; block++)
        {
            if (await ReadBlockAsync(block, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                bad = next;
                break;
            }

            if (stored.Block.Block != block || stored.Block.First != next)
            {
                bad = next;
                break;
            }

            blocks.Add((stored.Block, stored.Hash, next));
            next += stored.Block.Events.Count;
        }

        // Backward from the authenticated head: each block must hash to what the block after it (the head, for the
        // newest) carries as its predecessor's hash. The newest block that does not is altered or replaced.
        var vouched = bad is null ? Convert.ToHexStringLower(head.Hash.ToArray()) : null;
        for (var i = blocks.Count - 1; i >= 0 && vouched is not null; i--)
        {
            if (!string.Equals(blocks[i].Hash, vouched, StringComparison.Ordinal))
            {
                bad = blocks[i].First;
                blocks.RemoveRange(i, blocks.Count - i);
                break;
            }

            vouched = blocks[i].Found.Previous;
        }

        // Forward again over the blocks before that one: the links among them, and the first to the chain's start.
        for (var i = 0; i < blocks.Count; i++)
        {
            var expected = i == 0 ? start.Previous : blocks[i - 1].Hash;
            if (!string.Equals(blocks[i].Found.Previous, expected, StringComparison.Ordinal))
            {
                bad = i == 0 ? blocks[0].First : blocks[i - 1].First;
                break;
            }
        }

        if (bad is { } first)
        {
            return (events, Bad(first, $"the block of records from {first} is missing, altered, moved or replaced (it does not hash to what the chain after it and the authenticated head say)"));
        }

        foreach (var block in blocks)
        {
            events.AddRange(block.Found.Events);
        }

        if (next - 1 != lastSequence)
        {
            return (events, Bad(next, $"the chain does not end at its authenticated head (record {lastSequence})"));
        }

        // Blocks where none should be: past the head, or before the chain's start (pruned ones put back).
        var outside = (await _core.Store.ReadRangeAsync(RecordIds.AuditBlock(lastBlock + 1), RecordIds.LastAuditBlock, cancellationToken).ConfigureAwait(false)).Count
            + (start.Block > 1 ? (await _core.Store.ReadRangeAsync(RecordIds.AuditBlock(1), RecordIds.AuditBlock(start.Block - 1), cancellationToken).ConfigureAwait(false)).Count : 0);
        if (outside > 0)
        {
            return (events, Bad(next, $"{outside} block(s) of records stand outside the chain"));
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

                    tx.DeleteUnlisted(RecordIds.AuditBlock(block));
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
    private async ValueTask<(StoredAuditCheckpoint Start, string? Problem)> StartAsync(CancellationToken cancellationToken, VaultTransaction? tx = null)
    {
        var genesis = new StoredAuditCheckpoint(1, 1, Genesis, DateTimeOffset.MinValue);
        SettingRecord? record;
        try
        {
            record = await Setting(CheckpointSetting, tx, cancellationToken).ConfigureAwait(false);
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
    private ValueTask<SettingRecord?> Setting(string name, VaultTransaction? tx, CancellationToken cancellationToken) =>
        tx is null ? _core.Reader.SettingAsync(name, cancellationToken) : tx.SettingAsync(name, cancellationToken);

    /// <summary>
    /// A block as stored, with its hash (the SHA-256 of its bytes), or null when it is missing, misplaced or unreadable.
    /// Read from the store directly: blocks are not listed in the manifest, and the caller checks the chain.
    /// </summary>
    private async ValueTask<(StoredAuditBlock Block, string Hash)?> ReadBlockAsync(long block, CancellationToken cancellationToken, VaultTransaction? tx = null)
    {
        _ = tx; // blocks are only ever appended at commit, so a transaction sees the same ones as the store
        Storage.StoredRecord? record;
        try
        {
            record = await _core.Store.ReadAsync(RecordIds.AuditBlock(block), cancellationToken).ConfigureAwait(false);
        }
        catch (VaultException)
        {
            return null;
        }

        if (record is null || !string.Equals(record.Key, BlockName(block), StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(record.Value, AuditJsonContext.Default.StoredAuditBlock) is { Events.Count: > 0 } stored
                ? (stored, Convert.ToHexStringLower(SHA256.HashData(record.Value)))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string BlockName(long block) => BlockPrefix + block.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}
