using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// The audit policy of the operation path and the chain it keeps. Every operation gets one record, allowed, refused or
/// failed. A write's record is staged into the write's own transaction (no change without its record, no record of a
/// change that did not commit); the records of operations that wrote nothing wait, at most
/// <see cref="VaultAuditOptions.MaxFlushDelay"/>, and are made durable together in one commit (or with the next write).
/// Each commit's records are one vault record, a block (<c>settings/audit/blocks/{n}</c>) carrying the previous block's
/// SHA-256. The chain's head is its newest block, which the manifest lists and authenticates under the vault's key
/// hierarchy (so no head record is rewritten on every commit); retention prunes the oldest blocks and leaves a
/// checkpoint (<c>settings/audit/checkpoint</c>) where the chain now starts.
/// </summary>
internal sealed class AuditTrail : OperationPolicy, IDisposable
{
    public const string OperationVersion = "7.6";
    public const string BlockPrefix = "audit/blocks/";
    public const string CheckpointSetting = "audit/checkpoint";

    /// <summary>The record of the rollback anchor seeded or dropped at open.</summary>
    public const string AnchorChange = "VaultRollbackAnchorChange";

    /// <summary>At most this many blocks are pruned in one commit.</summary>
    private const int PruneBatch = 1000;
    public static readonly EventId AuditEventId = new(5000, "AuditEvent");
    private static readonly AsyncLocal<Entry?> CurrentEntry = new();
    private static readonly AsyncLocal<string?> Correlation = new();

    private readonly VaultCore _core;
    private readonly TimeSpan _maxDelay;
    private readonly int _retentionDays;
    private readonly ILogger _logger;
    private readonly Lock _queueLock = new();
    private readonly List<Entry> _queue = [];
    private ITimer? _timer;
    private Task _flushing = Task.CompletedTask;
    private long _block;
    private long _sequence;
    private string _hash = Genesis;
    private bool _disposed;

    public AuditTrail(VaultCore core, VaultAuditOptions options, ILoggerFactory? loggerFactory)
    {
        _core = core;
        _maxDelay = options.MaxFlushDelay;
        _retentionDays = options.RetentionDays;
        Strict = options.Strict;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded.Audit");
    }

    /// <summary>The hash before the first record.</summary>
    public static string Genesis { get; } = new('0', 64);

    /// <summary>The operation running in this async flow, for the writer to stage its record into the write.</summary>
    public static Entry? Current
    {
        get => CurrentEntry.Value;
        set => CurrentEntry.Value = value;
    }

    /// <summary>The flush the window's timer started last (tests wait for it).</summary>
    public Task Flushing => _flushing;

    /// <summary>Whether every operation waits for its record to be durable (<see cref="VaultAuditOptions.Strict"/>).</summary>
    public bool Strict { get; }

    /// <summary>Loads where the chain ends at open: its newest listed block (or, when retention pruned them all, the checkpoint).</summary>
    public async ValueTask LoadAsync(CancellationToken cancellationToken)
    {
        var (start, _) = await StartAsync(cancellationToken).ConfigureAwait(false);
        (_block, _sequence, _hash) = (start.Block - 1, start.First - 1, start.Previous);
        var listed = ListedBlocks();
        for (var i = listed.Count - 1; i >= 0; i--)
        {
            (StoredAuditBlock Block, string Hash)? stored;
            try
            {
                stored = await ReadBlockAsync(listed[i], cancellationToken).ConfigureAwait(false);
            }
            catch (VaultIntegrityException)
            {
                stored = null;
            }

            if (stored is { } newest)
            {
                (_block, _sequence, _hash) = (listed[^1], newest.Block.First + newest.Block.Events.Count - 1, i == listed.Count - 1 ? newest.Hash : Genesis);
                break;
            }

            // The newest block is damaged or gone: the vault still opens and records (after the newest block number, so
            // nothing is overwritten); verification names the damage.
            _block = listed[^1];
            _hash = Genesis;
        }

        if (_hash == Genesis && listed.Count > 0)
        {
            _logger.LogError(AuditEventId, "The audit trail's newest block is damaged or missing; new records follow it, and VerifyAuditAsync names the first bad record.");
        }
    }

    public override void OnStart(ref OperationContext context)
    {
        var entry = new Entry(context.Operation, context.Type, context.Name, _core.Time.GetUtcNow(), Stopwatch.GetTimestamp(), Activity.Current?.TraceId.ToString() ?? Correlation.Value);
        if (_core.Access.Accessor is { } accessor)
        {
            entry.From(Bounded(accessor.GetCallerIpAddress()), Bounded(accessor.GetClientInfo()));
        }

        context.Audit = entry;
    }

    /// <summary>
    /// Records a change the vault makes on its own while opening (not an operation of the path: whoever opens the vault
    /// proves its root): purge protection turned on by the options, the rollback anchor seeded or dropped. The
    /// record's caller is the application; it commits with the change.
    /// </summary>
    public static async ValueTask RecordAsync(VaultCore core, string operation, Func<ValueTask> change)
    {
        if (core.Audit is not { } audit)
        {
            await change().ConfigureAwait(false);
            return;
        }

        var context = new OperationContext(operation, null, null, null) { Caller = VaultPrincipal.Application, Authorization = OperationAuthorization.Unrestricted };
        audit.OnStart(ref context);
        context.Audit!.Began(VaultPrincipal.Application, OperationAuthorization.Unrestricted);
        Current = context.Audit;
        try
        {
            await change().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            audit.OnEnd(ref context, ex);
            throw;
        }

        audit.OnEnd(ref context, null);
    }

    /// <summary>Sets the correlation id of the operations in this flow (see <see cref="EmbeddedVault.UseCorrelationId"/>).</summary>
    public static IDisposable UseCorrelationId(string correlationId)
    {
        ArgumentNullException.ThrowIfNull(correlationId);
        if (correlationId.Length is 0 or > 128 || correlationId.Any(c => c is < ' ' or > '~'))
        {
            throw VaultErrors.BadParameter("A correlation id must be 1 to 128 printable ASCII characters.");
        }

        var previous = Correlation.Value;
        Correlation.Value = correlationId;
        return new CorrelationScope(previous);
    }

    public override void OnEnd(ref OperationContext context, Exception? failure)
    {
        if (context.Audit is not { } entry)
        {
            return;
        }

        entry.Complete(context.Caller ?? VaultPrincipal.Application, context.Authorization, failure);
        Log(entry);
        if (!entry.Committed)
        {
            Enqueue(entry);
        }
    }

    /// <summary>
    /// Puts the waiting records, and those of the operations whose changes commit in <paramref name="tx"/>
    /// (<paramref name="writes"/>), into it as one block (under the write lock), chained after the last; the chain
    /// moves on when the commit is durable.
    /// </summary>
    /// <returns>The waiting records it took (to put back with <see cref="Requeue"/> if the commit fails).</returns>
    public IReadOnlyList<Entry> Stage(VaultTransaction tx, IReadOnlyList<Entry> writes)
    {
        List<Entry> waiting;
        lock (_queueLock)
        {
            waiting = [.. _queue];
            _queue.Clear();
        }

        List<Entry> batch = [.. waiting, .. writes];

        if (batch.Count == 0)
        {
            return waiting;
        }

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
        return waiting;
    }

    /// <summary>Puts waiting records back, first in line, after the commit that was to make them durable failed.</summary>
    public void Requeue(IReadOnlyList<Entry> waiting)
    {
        if (waiting.Count == 0)
        {
            return;
        }

        lock (_queueLock)
        {
            if (!_disposed)
            {
                _queue.InsertRange(0, waiting);
            }
        }
    }

    /// <summary>The retention in days (0: for ever).</summary>
    public int RetentionDays => _retentionDays;

    /// <summary>
    /// Strict mode: returns once <paramref name="entry"/>'s record is durable, making it so with the others waiting
    /// (concurrent callers share the commit).
    /// </summary>
    /// <param name="entry">The operation's record, ended (queued, or committed with its write).</param>
    /// <param name="quiet">When the operation failed anyway: a record that cannot be made durable is logged, not thrown.</param>
    /// <exception cref="VaultException"><c>StorageFailure</c>: the record could not be made durable.</exception>
    public async ValueTask DurableAsync(Entry entry, bool quiet)
    {
        if (!entry.Committed)
        {
            try
            {
                await _core.Writer.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is VaultException or ObjectDisposedException && !quiet)
            {
                throw VaultErrors.StorageFailure("the operation's audit record could not be made durable, and strict auditing returns no result without it", ex as VaultException);
            }
            catch (Exception ex) when (ex is VaultException or ObjectDisposedException)
            {
                _logger.LogError(AuditEventId, ex, "An audit record could not be made durable; it is in the log only.");
            }
        }

        if (!entry.Committed && !quiet)
        {
            throw VaultErrors.StorageFailure("the operation's audit record could not be made durable, and strict auditing returns no result without it", null);
        }
    }

    /// <summary>Makes the waiting records durable now (the flush timer, closing the vault).</summary>
    public async Task FlushAsync()
    {
        lock (_queueLock)
        {
            _timer?.Dispose();
            _timer = null;
            if (_queue.Count == 0)
            {
                return;
            }
        }

        try
        {
            await _core.Writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is VaultException or ObjectDisposedException)
        {
            _logger.LogError(AuditEventId, ex, "Audit records could not be made durable; they are in the log only.");
        }
    }

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

    public void Dispose()
    {
        lock (_queueLock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
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

    /// <summary>The numbers of the blocks the manifest lists, in order.</summary>
    private List<long> ListedBlocks()
    {
        var prefix = RecordKeys.Setting(BlockPrefix);
        var blocks = new List<long>();
        foreach (var key in _core.Manifest.KeysWithPrefix(prefix))
        {
            if (long.TryParse(key.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var block))
            {
                blocks.Add(block);
            }
        }

        return blocks;
    }

    /// <summary>A block as stored, with its hash (the SHA-256 of its bytes), or null when it is missing or unreadable.</summary>
    private async ValueTask<(StoredAuditBlock Block, string Hash)?> ReadBlockAsync(long block, CancellationToken cancellationToken, VaultTransaction? tx = null)
    {
        var record = await Setting(BlockName(block), tx, cancellationToken).ConfigureAwait(false);
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

    /// <summary>A host-supplied value as the record keeps it: at most 256 characters, control characters replaced.</summary>
    private static string? Bounded(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Length > 256 ? value[..256] : value;
        return text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? '?' : c)) : text;
    }

    private static string BlockName(long block) => BlockPrefix + block.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    private void Enqueue(Entry entry)
    {
        lock (_queueLock)
        {
            if (_disposed)
            {
                return;
            }

            _queue.Add(entry);
            if (_timer is null)
            {
                // The flush runs in no operation's flow (the enqueuing operation's record is in the queue already).
                using (ExecutionContext.SuppressFlow())
                {
                    _timer = _core.Time.CreateTimer(static state => ((AuditTrail)state!).OnWindowElapsed(), this, _maxDelay, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private void OnWindowElapsed() => _flushing = FlushAsync();

    private void Log(Entry entry)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation(AuditEventId, "Audit {OperationName} {ResultSignature} ({HttpStatusCode}) by {PrincipalKind} {PrincipalId} on {ObjectType} '{ObjectName}' in {DurationMs} ms; authorized by {Authorization}; correlation {CorrelationId}.",
                entry.Operation, entry.Signature, entry.Status, entry.Caller?.Kind, entry.Caller?.ObjectId, entry.Type?.DisplayName() ?? "vault", Bounded(entry.Name), entry.DurationMs, entry.Authorization, entry.CorrelationId);
        }
    }

    /// <summary>One operation's record as it is built.</summary>
    internal sealed class Entry(string operation, ObjectType? type, string? name, DateTimeOffset time, long started, string? correlationId)
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

    private sealed class CorrelationScope(string? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Correlation.Value = previous;
            }
        }
    }
}
