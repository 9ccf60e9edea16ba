using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The path every public call takes, in one place: cancellation and disposal checks, then an ordered set of policies
/// (<see cref="OperationPolicy"/>) around the operation's work: telemetry (<see cref="Diagnostics.VaultTelemetry"/>:
/// log entry, metrics, activity) outermost, so that a refused call is counted too, then authorization
/// (<see cref="Access.AccessControl"/>), before any work; the audit trail (<see cref="Audit.AuditTrail"/>), when on,
/// between the two, so that every operation, refused ones included, leaves its record.
/// </summary>
internal sealed class OperationPipeline
{
    private readonly VaultCore _core;
    private readonly OperationPolicy[] _policies;
    private readonly Audit.AuditTrail? _strict;

    public OperationPipeline(VaultCore core)
    {
        _core = core;
        _policies = core.Audit is { } audit ? [core.Telemetry, audit, core.Access] : [core.Telemetry, core.Access];
        _strict = core.Audit is { Strict: true } strict ? strict : null;
    }

    /// <summary>
    /// Starts one operation: checks, then each policy's start in order. A refusal (a policy throwing) is reported to the
    /// policies that had started and thrown to the caller; nothing of the operation has run.
    /// </summary>
    /// <param name="operation">The operation's name (<see cref="VaultOperation"/>).</param>
    /// <param name="type">The object type it acts on, if any.</param>
    /// <param name="name">The object it acts on, if any.</param>
    /// <param name="cancellationToken">Checked before anything runs.</param>
    /// <param name="isAsymmetricKey">For encrypt, wrap and verify on a key: whether it is RSA or EC.</param>
    /// <param name="context">The operation's context, to pass to <see cref="End"/> exactly once.</param>
    public void Begin(string operation, ObjectType? type, string? name, CancellationToken cancellationToken, out OperationContext context, Func<bool>? isAsymmetricKey = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _core.ThrowIfDisposed();
        context = new OperationContext(operation, type, name, isAsymmetricKey);
        var policies = _policies;
        try
        {
            while (context.Started < policies.Length)
            {
                policies[context.Started].OnStart(ref context);
                context.Started++;
            }
        }
        catch (Exception ex)
        {
            End(ref context, ex);
            throw;
        }
    }

    /// <summary>Ends an operation: the started policies hear its outcome, innermost first.</summary>
    /// <param name="context">The context <see cref="Begin"/> returned.</param>
    /// <param name="failure">What the operation threw, or null when it succeeded.</param>
    public void End(ref OperationContext context, Exception? failure)
    {
        var policies = _policies;
        while (context.Started > 0)
        {
            context.Started--;
            policies[context.Started].OnEnd(ref context, failure);
        }
    }

    /// <summary>
    /// Runs one operation on one object (or on the vault, when <paramref name="name"/> is null). The whole operation,
    /// including the mapping of its result to the public model, runs inside: nothing is done after its scope closes.
    /// </summary>
    public async ValueTask<TResult> RunAsync<TState, TResult>(string operation, ObjectType? type, string? name, TState state, Func<TState, ValueTask<TResult>> body, CancellationToken cancellationToken)
    {
        var context = default(OperationContext);
        try
        {
            Begin(operation, type, name, cancellationToken, out context);
        }
        catch (Exception) when (_strict is not null && context.Audit is not null)
        {
            // Strict auditing: the refusal returns once its record is durable.
            await _strict.DurableAsync(context.Audit, quiet: true).ConfigureAwait(false);
            throw;
        }

        if (context.Audit is { } audit)
        {
            // A write in this flow commits this operation's record with it (this async method's flow only).
            audit.Began(context.Caller, context.Authorization);
            Audit.AuditTrail.Current = audit;
        }

        TResult result;
        try
        {
            result = await body(state).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(ref context, ex);
            if (_strict is not null && context.Audit is { } failed)
            {
                await _strict.DurableAsync(failed, quiet: true).ConfigureAwait(false);
            }

            throw;
        }

        End(ref context, null);
        if (_strict is not null && context.Audit is { } done)
        {
            await _strict.DurableAsync(done, quiet: false).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// For a caller that cannot await (a cryptography client): under strict auditing, waits until the ended
    /// operation's record is durable.
    /// </summary>
    /// <param name="context">The ended operation.</param>
    /// <param name="failed">Whether the operation failed (then a record that cannot be made durable is only logged).</param>
    public void WaitForRecord(ref OperationContext context, bool failed)
    {
        if (_strict is not null && context.Audit is { } entry)
        {
            Sync.Wait(_strict.DurableAsync(entry, failed));
        }
    }
}
