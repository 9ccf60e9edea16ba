using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Hosting;

/// <summary>
/// The one vault of a service provider: opened at host start by <see cref="EmbeddedVaultHostedService"/> (or, without
/// a host, at first use), shared with a configuration provider on the same file, released when the provider is
/// disposed.
/// </summary>
internal sealed class EmbeddedVaultHolder : IAsyncDisposable, IDisposable
{
    private readonly IOptions<EmbeddedVaultOptions> _options;
    private readonly Lock _sync = new();
    private Task<SharedVaults.Lease>? _lease;

    public EmbeddedVaultHolder(IOptions<EmbeddedVaultOptions> options)
    {
        _options = options;
    }

    public EmbeddedVaultOptions Options => _options.Value;

    public async Task<EmbeddedVault> GetAsync(CancellationToken cancellationToken)
    {
        Task<SharedVaults.Lease> lease;
        lock (_sync)
        {
            // A failed open is not kept: the next call tries again (the token may be back, the file freed).
            if (_lease is null || _lease.IsFaulted || _lease.IsCanceled)
            {
                _lease = SharedVaults.AcquireAsync(_options.Value, CancellationToken.None);
            }

            lease = _lease;
        }

        return (await lease.WaitAsync(cancellationToken).ConfigureAwait(false)).Vault;
    }

    /// <summary>For service resolution (synchronous): opens the vault if the host has not yet.</summary>
    public EmbeddedVault Get() => GetAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        Task<SharedVaults.Lease>? lease;
        lock (_sync)
        {
            lease = _lease;
            _lease = null;
        }

        if (lease is { IsCompletedSuccessfully: true })
        {
            await lease.Result.DisposeAsync().ConfigureAwait(false);
        }
        else if (lease is not null)
        {
            try
            {
                await (await lease.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (lease.IsFaulted || lease.IsCanceled)
            {
                _ = ex; // the open failed, and whoever waited for it saw why
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
