using System.Diagnostics;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// The audit policy of the operation path: every operation gets one record (<see cref="AuditEntry"/>), allowed, refused
/// or failed, kept by <see cref="AuditChain"/>. A write's record is staged into the write's own transaction (no change without its record, no record of a
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

    /// <summary>The record of the rollback anchor seeded or dropped at open.</summary>
    public const string AnchorChange = "VaultRollbackAnchorChange";

    public static readonly EventId AuditEventId = new(5000, "AuditEvent");
    private static readonly AsyncLocal<AuditEntry?> CurrentEntry = new();
    private static readonly AsyncLocal<string?> Correlation = new();

    private readonly VaultCore _core;
    private readonly TimeSpan _maxDelay;
    private readonly int _retentionDays;
    private readonly ILogger _logger;
    private readonly Lock _queueLock = new();
    private readonly List<AuditEntry> _queue = [];
    private ITimer? _timer;
    private readonly AuditChain _chain;
    private Task _flushing = Task.CompletedTask;
    private bool _disposed;

    public AuditTrail(VaultCore core, VaultAuditOptions options, ILoggerFactory? loggerFactory)
    {
        _core = core;
        _maxDelay = options.MaxFlushDelay;
        _retentionDays = options.RetentionDays;
        Strict = options.Strict;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded.Audit");
        _chain = new AuditChain(core, options.RetentionDays, _logger);
    }

    /// <summary>The operation running in this async flow, for the writer to stage its record into the write.</summary>
    public static AuditEntry? Current
    {
        get => CurrentEntry.Value;
        set => CurrentEntry.Value = value;
    }

    /// <summary>The flush the window's timer started last (tests wait for it).</summary>
    public Task Flushing => _flushing;

    /// <summary>Whether every operation waits for its record to be durable (<see cref="VaultAuditOptions.Strict"/>).</summary>
    public bool Strict { get; }

    /// <summary>Loads where the chain ends at open.</summary>
    public ValueTask LoadAsync(CancellationToken cancellationToken) => _chain.LoadAsync(cancellationToken);

    /// <summary>Where the chain ends as <paramref name="reader"/> sees it (a manifest being caught up to).</summary>
    public ValueTask<AuditChain.ChainEnd> ReadEndAsync(Integrity.RecordReader reader, CancellationToken cancellationToken) => _chain.ReadEndAsync(reader, cancellationToken);

    /// <summary>Takes on where the chain ends, once the vault's view has moved to the state it was read from.</summary>
    public void ApplyEnd(AuditChain.ChainEnd end) => _chain.Apply(end);

    /// <summary>Every record of the chain in order, checked block by block.</summary>
    public ValueTask<(List<VaultAuditEvent> Events, AuditVerification Verification)> ReadChainAsync(CancellationToken cancellationToken) => _chain.ReadChainAsync(cancellationToken);

    /// <summary>Prunes the records past the retention (see <see cref="AuditChain.PruneAsync"/>).</summary>
    public ValueTask<long> PruneAsync(CancellationToken cancellationToken) => _chain.PruneAsync(cancellationToken);

    public override void OnStart(ref OperationContext context)
    {
        var entry = new AuditEntry(context.Operation, context.Type, context.Name, _core.Time.GetUtcNow(), Stopwatch.GetTimestamp(), Activity.Current?.TraceId.ToString() ?? Correlation.Value);
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
    public IReadOnlyList<AuditEntry> Stage(VaultTransaction tx, IReadOnlyList<AuditEntry> writes)
    {
        List<AuditEntry> waiting;
        lock (_queueLock)
        {
            waiting = [.. _queue];
            _queue.Clear();
        }

        List<AuditEntry> batch = [.. waiting, .. writes];

        if (batch.Count == 0)
        {
            return waiting;
        }

        _chain.Append(tx, batch);
        return waiting;
    }

    /// <summary>Puts waiting records back, first in line, after the commit that was to make them durable failed.</summary>
    public void Requeue(IReadOnlyList<AuditEntry> waiting)
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
    public async ValueTask DurableAsync(AuditEntry entry, bool quiet)
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

    public void Dispose()
    {
        lock (_queueLock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
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

    private void Enqueue(AuditEntry entry)
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

    private void Log(AuditEntry entry)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation(AuditEventId, "Audit {OperationName} {ResultSignature} ({HttpStatusCode}) by {PrincipalKind} {PrincipalId} on {ObjectType} '{ObjectName}' in {DurationMs} ms; authorized by {Authorization}; correlation {CorrelationId}.",
                entry.Operation, entry.Signature, entry.Status, entry.Caller?.Kind, entry.Caller?.ObjectId, entry.Type?.DisplayName() ?? "vault", Bounded(entry.Name), entry.DurationMs, entry.Authorization, entry.CorrelationId);
        }
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
