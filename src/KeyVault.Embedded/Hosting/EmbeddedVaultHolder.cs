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
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    /// <summary>Failures that may heal on their own: another owner lets go of the file, a token is plugged back in.</summary>
    private static readonly VaultErrorCode[] Transient =
    [
        VaultErrorCode.VaultInUse, VaultErrorCode.RootKeyUnavailable, VaultErrorCode.StorageFailure,
        new("Pkcs11TokenNotFound"), new("Pkcs11TokenFailure"), new("Pkcs11ModuleNotFound"),
    ];

    private Task<SharedVaults.Lease>? _lease;
    private DateTimeOffset? _failedAt;

    public EmbeddedVaultHolder(IOptions<EmbeddedVaultOptions> options)
    {
        _options = options;
    }

    public EmbeddedVaultOptions Options => _options.Value;

    /// <summary>The health check's write probe, at most once a minute (health checks are created per run; this outlives them).</summary>
    public VaultHealth.Throttled<Exception?> HealthWrites { get; } = new();

    /// <summary>The health check's expiry counts, at most once a minute.</summary>
    public VaultHealth.Throttled<(int Near, int Expired)> HealthExpiry { get; } = new();

    public async Task<EmbeddedVault> GetAsync(CancellationToken cancellationToken)
    {
        Task<SharedVaults.Lease> lease;
        lock (_sync)
        {
            if (_lease is null || ((_lease.IsFaulted || _lease.IsCanceled) && MayRetry(_lease)))
            {
                _lease = SharedVaults.AcquireAsync(_options.Value, CancellationToken.None);
                _failedAt = null;
            }

            lease = _lease;
        }

        return (await lease.WaitAsync(cancellationToken).ConfigureAwait(false)).Vault;
    }

    /// <summary>
    /// A failed open is tried again only when it may heal (the file freed, the token back), and at most every 30
    /// seconds: a wrong root key or PIN stays failed, since retrying a wrong PIN from a health check every few seconds
    /// would lock a real token.
    /// </summary>
    private bool MayRetry(Task<SharedVaults.Lease> failed)
    {
        var error = failed.Exception?.GetBaseException();
        var transient = error is IOException || (error is VaultException vault && Transient.Contains(vault.ErrorCode));
        if (!transient)
        {
            return false;
        }

        var now = _options.Value.TimeProvider.GetUtcNow();
        _failedAt ??= now;
        return now - _failedAt >= RetryInterval;
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

        if (lease is null)
        {
            return;
        }

        try
        {
            await (await lease.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (lease.IsFaulted || lease.IsCanceled)
        {
            _ = ex; // the open failed, and whoever waited for it saw why
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
