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
/// SHA-256, and the chain's head (<c>settings/audit/head</c>) is authenticated by the manifest under the vault's key
/// hierarchy.
/// </summary>
internal sealed class AuditTrail : OperationPolicy, IDisposable
{
    public const string OperationVersion = "7.6";
    public const string BlockPrefix = "audit/blocks/";
    public const string HeadSetting = "audit/head";
    public static readonly EventId AuditEventId = new(5000, "AuditEvent");
    private static readonly AsyncLocal<Entry?> CurrentEntry = new();

    private readonly VaultCore _core;
    private readonly TimeSpan _maxDelay;
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

    /// <summary>Loads the chain's head at open.</summary>
    public async ValueTask LoadAsync(CancellationToken cancellationToken)
    {
        var head = await _core.Reader.SettingAsync(HeadSetting, cancellationToken).ConfigureAwait(false);
        if (head is not null)
        {
            (_block, _sequence, _hash) = Parse(head.Value);
        }
    }

    public override void OnStart(ref OperationContext context) => context.Audit = new Entry(context.Operation, context.Type, context.Name, _core.Time.GetUtcNow(), Stopwatch.GetTimestamp(), Activity.Current?.TraceId.ToString());

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
    public void Stage(VaultTransaction tx, IReadOnlyList<Entry> writes)
    {
        List<Entry> batch;
        lock (_queueLock)
        {
            batch = [.. _queue];
            _queue.Clear();
        }

        batch.AddRange(writes);

        if (batch.Count == 0)
        {
            return;
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
        VaultSettings.Put(tx, HeadSetting, JsonSerializer.Serialize(new StoredAuditHead(block, last, hash), AuditJsonContext.Default.StoredAuditHead));
        tx.OnCommitted(() =>
        {
            (_block, _sequence, _hash) = (block, last, hash);
            foreach (var entry in batch)
            {
                entry.Committed = true;
            }
        });
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

    /// <summary>Every record of the chain in order, checked block by block.</summary>
    public async ValueTask<(List<VaultAuditEvent> Events, AuditVerification Verification)> ReadChainAsync(CancellationToken cancellationToken)
    {
        var events = new List<VaultAuditEvent>();
        var head = await _core.Reader.SettingAsync(HeadSetting, cancellationToken).ConfigureAwait(false);
        var (lastBlock, lastSequence, lastHash) = head is null ? (0L, 0L, Genesis) : Parse(head.Value);
        var previous = Genesis;
        var next = 1L;
        for (var block = 1L; block <= lastBlock; block++)
        {
            SettingRecord? record;
            try
            {
                record = await _core.Reader.SettingAsync(BlockName(block), cancellationToken).ConfigureAwait(false);
            }
            catch (VaultIntegrityException ex)
            {
                return (events, new AuditVerification(lastSequence, next, $"the block of records from {next} fails its authentication: {ex.Message}"));
            }

            if (record is null)
            {
                return (events, new AuditVerification(lastSequence, next, $"the block of records from {next} is missing"));
            }

            var bytes = Encoding.UTF8.GetBytes(record.Value);
            StoredAuditBlock? stored;
            try
            {
                stored = JsonSerializer.Deserialize(bytes, AuditJsonContext.Default.StoredAuditBlock);
            }
            catch (JsonException)
            {
                stored = null;
            }

            if (stored is null || stored.Block != block || stored.First != next || stored.Events is not { Count: > 0 } || !string.Equals(stored.Previous, previous, StringComparison.Ordinal))
            {
                return (events, new AuditVerification(lastSequence, next, $"the block of records from {next} does not follow the one before (altered, moved or replaced)"));
            }

            previous = Convert.ToHexStringLower(SHA256.HashData(bytes));
            next += stored.Events.Count;
            events.AddRange(stored.Events);
        }

        if (!string.Equals(previous, lastHash, StringComparison.Ordinal) || next - 1 != lastSequence)
        {
            return (events, new AuditVerification(lastSequence, next, $"the chain does not end at its authenticated head (record {lastSequence})"));
        }

        var blocks = _core.Manifest.KeysWithPrefix(RecordKeys.Setting(BlockPrefix)).Count;
        return blocks != lastBlock
            ? (events, new AuditVerification(lastSequence, next, $"{blocks - lastBlock} block(s) of records stand outside the chain"))
            : (events, new AuditVerification(lastSequence, null, null));
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

    private static (long Block, long Sequence, string Hash) Parse(string head)
    {
        var parsed = JsonSerializer.Deserialize(head, AuditJsonContext.Default.StoredAuditHead) ?? throw new VaultIntegrityException("The audit chain's head is unreadable.");
        return (parsed.Block, parsed.Sequence, parsed.Hash);
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
                entry.Operation, entry.Signature, entry.Status, entry.Caller?.Kind, entry.Caller?.ObjectId, entry.Type?.DisplayName() ?? "vault", entry.Name, entry.DurationMs, entry.Authorization, entry.CorrelationId);
        }
    }

    /// <summary>One operation's record as it is built.</summary>
    internal sealed class Entry(string operation, ObjectType? type, string? name, DateTimeOffset time, long started, string? correlationId)
    {
        public string Operation { get; } = operation;

        public ObjectType? Type { get; } = type;

        public string? Name { get; } = name;

        public string? CorrelationId { get; } = correlationId;

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
                Identity = new VaultAuditIdentity { ObjectId = caller.ObjectId, Name = caller.DisplayName, Kind = caller.Kind.ToString() },
                Properties = new VaultAuditProperties
                {
                    Id = Name is null || Type is null ? null : new Uri(vault, $"{Type.Value.ScopeSegment()}/{Name}").ToString(),
                    HttpStatusCode = Status,
                    IsRbacAuthorized = authorization switch { OperationAuthorization.Unrestricted => null, OperationAuthorization.Undecided => null, var a => a == OperationAuthorization.Rbac },
                    IsAccessPolicyMatch = authorization switch { OperationAuthorization.Unrestricted => null, OperationAuthorization.Undecided => null, var a => a == OperationAuthorization.AccessPolicy },
                },
            };
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
}
