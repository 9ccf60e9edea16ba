using KeyVault.Embedded.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyVault.Embedded.Hosting;

/// <summary>
/// Opens the vault when the host starts (a wrong root key or a locked file stops the start, with the reason), then,
/// unless disabled, runs <see cref="BackgroundPass"/> at once and every <see cref="EmbeddedVaultBackgroundOptions.Interval"/>
/// on the vault's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class EmbeddedVaultHostedService : IHostedService, IAsyncDisposable
{
    private readonly EmbeddedVaultHolder _holder;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private int _passes;
    private int _disposed;

    public EmbeddedVaultHostedService(EmbeddedVaultHolder holder, ILoggerFactory? loggerFactory = null)
    {
        _holder = holder;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded");
    }

    /// <summary>Passes completed so far (for tests and diagnostics).</summary>
    public int Passes => Volatile.Read(ref _passes);

    /// <summary>Raised after each pass, once the next one is scheduled (tests wait on it, then advance the clock).</summary>
    internal event Action<BackgroundPass.Result>? PassCompleted;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var vault = await _holder.GetAsync(cancellationToken).ConfigureAwait(false);
        var options = _holder.Options;
        if (options.Background.Enabled)
        {
            var pass = new BackgroundPass(_logger, options.Background.NearExpiryWindow, options.Background.Principal);
            _loop = Task.Run(() => LoopAsync(vault, pass, options.Background.Interval, vault.Core.Time, _stopping.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as itself and as an IHostedService: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(VaultLogEvents.BackgroundStepFailed, ex, "The background service ended with an error.");
            }
        }

        _stopping.Dispose();
    }

    private async Task LoopAsync(EmbeddedVault vault, BackgroundPass pass, TimeSpan interval, TimeProvider time, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            BackgroundPass.Result? result = null;
            try
            {
                result = await pass.RunAsync(vault, stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _passes);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the vault was closed under the service: the host is going down
            }
            catch (Exception ex)
            {
                _logger.LogError(VaultLogEvents.BackgroundStepFailed, ex, "The background pass failed; it runs again after the interval.");
            }

            try
            {
                // The next pass is scheduled before anyone hears of this one: a clock advanced by a listener is seen.
                var next = Task.Delay(interval, time, stopping);
                if (result is not null)
                {
                    PassCompleted?.Invoke(result);
                }

                await next.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
