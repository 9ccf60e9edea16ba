using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The path every public call takes, in one place: cancellation and disposal checks, and the operation's log entry,
/// metrics and activity (<see cref="Diagnostics.VaultTelemetry"/>), and the caller's authorization
/// (<see cref="Access.AccessControl"/>), before any work. The audit record is added here next, so that no operation can skip it.
/// </summary>
internal sealed class OperationPipeline
{
    private readonly VaultCore _core;

    public OperationPipeline(VaultCore core)
    {
        _core = core;
    }

    /// <summary>Runs one synchronous operation on one object (a cryptography client's call).</summary>
    /// <typeparam name="TState">State passed to <paramref name="body"/>, so hot paths allocate no closure.</typeparam>
    /// <typeparam name="TResult">The operation's result.</typeparam>
    public TResult Run<TState, TResult>(string operation, ObjectType? type, string? name, TState state, Func<TState, TResult> body, CancellationToken cancellationToken, Func<bool>? isAsymmetricKey = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _core.ThrowIfDisposed();
        var telemetry = _core.Telemetry;
        var scope = telemetry.Start(operation, type, name);
        TResult result;
        try
        {
            _core.Access.Authorize(operation, type, name, isAsymmetricKey);
            result = body(state);
        }
        catch (Exception ex)
        {
            telemetry.Failed(in scope, ex);
            throw;
        }

        telemetry.Succeeded(in scope);
        return result;
    }

    /// <summary>
    /// Runs one operation on one object (or on the vault, when <paramref name="name"/> is null). The whole operation,
    /// including the mapping of its result to the public model, runs inside: nothing is done after its scope closes.
    /// </summary>
    public async ValueTask<TResult> RunAsync<TState, TResult>(string operation, ObjectType? type, string? name, TState state, Func<TState, ValueTask<TResult>> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _core.ThrowIfDisposed();
        var telemetry = _core.Telemetry;
        var scope = telemetry.Start(operation, type, name);
        TResult result;
        try
        {
            _core.Access.Authorize(operation, type, name);
            result = await body(state).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            telemetry.Failed(in scope, ex);
            throw;
        }

        telemetry.Succeeded(in scope);
        return result;
    }
}
