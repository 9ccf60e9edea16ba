using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded;

/// <summary>
/// A long-running operation in the Azure SDK's shape (<c>Azure.Operation&lt;T&gt;</c>): what <c>StartDelete…</c>,
/// <c>StartRecover…</c> and <c>StartCreateCertificate</c> return. In-process, deletes and recovers are done when the call
/// returns, so their operations have completed at once and <see cref="WaitForCompletionAsync(CancellationToken)"/>
/// returns without waiting; a certificate operation waiting for an outside CA's signature polls the vault.
/// </summary>
/// <typeparam name="T">The operation's result.</typeparam>
public abstract class Operation<T>
    where T : class
{
    /// <summary>The polling interval Azure's SDK uses by default for Key Vault operations.</summary>
    private static readonly TimeSpan DefaultPollingInterval = TimeSpan.FromSeconds(1);

    private volatile T? _value;

    private protected Operation(string id, T? value)
    {
        Id = id;
        _value = value;
    }

    /// <summary>The operation's identifier: the identifier of the object it acts on.</summary>
    public string Id { get; }

    /// <summary>Whether the operation has finished (successfully or not).</summary>
    public virtual bool HasCompleted => true;

    /// <summary>Whether <see cref="Value"/> is available.</summary>
    public bool HasValue => _value is not null;

    /// <summary>The result.</summary>
    /// <exception cref="InvalidOperationException">The operation has not completed with a result.</exception>
    public virtual T Value => _value ?? throw new InvalidOperationException($"The operation '{Id}' has not completed, so it has no value yet.");

    /// <summary>The clock used between polls.</summary>
    private protected virtual TimeProvider Clock => TimeProvider.System;

    /// <summary>Reads the operation's state again.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public virtual void UpdateStatus(CancellationToken cancellationToken = default) => cancellationToken.ThrowIfCancellationRequested();

    /// <summary>Reads the operation's state again.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the state is read.</returns>
    public virtual ValueTask UpdateStatusAsync(CancellationToken cancellationToken = default)
    {
        UpdateStatus(cancellationToken);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until the operation completes, polling every second, and returns its result.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public T WaitForCompletion(CancellationToken cancellationToken = default) =>
        Sync.Wait(WaitForCompletionAsync(DefaultPollingInterval, cancellationToken));

    /// <summary>Waits until the operation completes, polling every second, and returns its result.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    public ValueTask<T> WaitForCompletionAsync(CancellationToken cancellationToken = default) =>
        WaitForCompletionAsync(DefaultPollingInterval, cancellationToken);

    /// <summary>Waits until the operation completes, polling at <paramref name="pollingInterval"/>, and returns its result.</summary>
    /// <param name="pollingInterval">The time between polls.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pollingInterval"/> is not positive.</exception>
    public async ValueTask<T> WaitForCompletionAsync(TimeSpan pollingInterval, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollingInterval, TimeSpan.Zero);
        while (true)
        {
            await UpdateStatusAsync(cancellationToken).ConfigureAwait(false);
            if (HasCompleted)
            {
                return Value;
            }

            await Task.Delay(pollingInterval, Clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sets the result once the operation has one.</summary>
    private protected void SetValue(T? value) => _value = value;

    /// <summary>The operation's kind and identifier.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"{GetType().Name} {{ Id = {Id}, HasCompleted = {HasCompleted} }}";
}
