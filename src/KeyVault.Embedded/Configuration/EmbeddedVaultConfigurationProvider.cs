using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyVault.Embedded.Configuration;

/// <summary>
/// Every enabled secret of a vault as a configuration key (<c>--</c> becomes <c>:</c>, keys ignore case). Secrets of
/// certificates are left out (their private keys belong to <see cref="Certificates.ICertificateStore"/>, not to a
/// configuration a debug page may print). Two ways to stay current: held (default), the vault stays open and a
/// secret event of this process reloads; polling (<see cref="EmbeddedVaultConfigurationOptions.ReloadInterval"/>),
/// the vault is opened only to load. A failed reload keeps the previous values, is logged and reported.
/// </summary>
internal sealed class EmbeddedVaultConfigurationProvider : ConfigurationProvider, IDisposable, IObserver<VaultEvent>
{
    private readonly EmbeddedVaultConfigurationOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private SharedVaults.Lease? _held;
    private IDisposable? _subscription;
    private ITimer? _timer;
    private int _reloadQueued;
    private bool _disposed;
    private bool _loaded;
    private ILogger? _vaultLogger;

    public EmbeddedVaultConfigurationProvider(EmbeddedVaultConfigurationOptions options)
    {
        _options = options;
        _logger = (options.Vault.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded");
    }

    private bool Polling => _options.ReloadInterval is not null;

    /// <summary>The first load: opens the vault and reads it; a failure is thrown (an app should not start without its secrets).</summary>
    public override void Load() => Task.Run(() => LoadFirstAsync()).GetAwaiter().GetResult();

    public override string ToString() => $"EmbeddedVaultConfigurationProvider({_options.Vault.Path})";

    public void Dispose()
    {
        // Waits for a reload in progress, so none runs on a released vault.
        _loading.Wait();
        try
        {
            _disposed = true;
        }
        finally
        {
            _loading.Release();
        }

        _timer?.Dispose();
        _subscription?.Dispose();
        Interlocked.Exchange(ref _held, null)?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    void IObserver<VaultEvent>.OnNext(VaultEvent value)
    {
        if (value.ObjectKind == VaultObjectKind.Secret && Interlocked.Exchange(ref _reloadQueued, 1) == 0)
        {
            _ = Task.Run(ReloadAsync);
        }
    }

    void IObserver<VaultEvent>.OnError(Exception error)
    {
    }

    void IObserver<VaultEvent>.OnCompleted()
    {
    }

    private async Task LoadFirstAsync()
    {
        if (_loaded)
        {
            await ReloadAsync().ConfigureAwait(false); // ConfigurationRoot.Reload(): read again
            return;
        }

        if (Polling || !_options.ReloadOnChange)
        {
            // Not held: the file is free between loads (another process may own it).
            Data = await ReadOnceAsync().ConfigureAwait(false);
            if (Polling)
            {
                _timer = _options.Vault.TimeProvider.CreateTimer(_ => OnTick(), null, _options.ReloadInterval!.Value, _options.ReloadInterval.Value);
            }
        }
        else
        {
            var lease = await SharedVaults.AcquireAsync(_options.Vault, CancellationToken.None).ConfigureAwait(false);
            try
            {
                Data = await ReadAsync(lease.Vault).ConfigureAwait(false);
            }
            catch
            {
                await lease.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _held = lease;
            _subscription = lease.Vault.Events.Subscribe(this);
        }

        _loaded = true;
    }

    private void OnTick()
    {
        if (Interlocked.Exchange(ref _reloadQueued, 1) == 0)
        {
            _ = Task.Run(ReloadAsync);
        }
    }

    private async Task ReloadAsync()
    {
        var changed = false;
        await _loading.WaitAsync().ConfigureAwait(false);
        try
        {
            // Cleared before reading: a change during the read queues another reload, so none is missed.
            Volatile.Write(ref _reloadQueued, 0);
            if (_disposed)
            {
                return;
            }

            var data = _held is { } held ? await ReadAsync(held.Vault).ConfigureAwait(false) : await ReadOnceAsync().ConfigureAwait(false);
            if (!Same(data, Data))
            {
                Data = data;
                changed = true;
            }
        }
        catch (Exception ex)
        {
            Logger.LogError(VaultLogEvents.ConfigurationReloadFailed, ex, "Reloading configuration from vault '{Path}' failed; the previous values stay.", _options.Vault.Path);
            try
            {
                _options.OnReloadFailure?.Invoke(ex);
            }
            catch (Exception callback)
            {
                Logger.LogError(VaultLogEvents.ConfigurationReloadFailed, callback, "The OnReloadFailure callback threw.");
            }
        }
        finally
        {
            _loading.Release();
        }

        // Outside the lock: a change-token callback may reload or dispose this configuration.
        if (changed)
        {
            OnReload();
        }
    }

    /// <summary>The host's logger once the shared vault has one (the source is built before the host's logging).</summary>
    private ILogger Logger => _vaultLogger is { } vault && !ReferenceEquals(vault, NullLogger.Instance) ? vault : _logger;

    /// <summary>Polling: open (or share the open vault), read, release, so another process can own the file between loads.</summary>
    private async Task<Dictionary<string, string?>> ReadOnceAsync()
    {
        var lease = await SharedVaults.AcquireAsync(_options.Vault, CancellationToken.None).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            return await ReadAsync(lease.Vault).ConfigureAwait(false);
        }
    }

    private async Task<Dictionary<string, string?>> ReadAsync(EmbeddedVault vault)
    {
        using var caller = vault.RunAs(_options.Principal ?? Access.VaultPrincipal.Application);
        _vaultLogger = vault.Core.Telemetry.Logger;
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var now = vault.Core.Time.GetUtcNow();
        var prefix = _options.Prefix;
        await foreach (var properties in vault.Secrets.GetPropertiesOfSecretsAsync().ConfigureAwait(false))
        {
            if (properties.Enabled != true || properties.Managed
                || (prefix is not null && (properties.Name.Length == prefix.Length || !properties.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                || (_options.ExcludeExpired && properties.ExpiresOn <= now))
            {
                continue;
            }

            string value;
            try
            {
                value = (await vault.Secrets.GetSecretAsync(properties.Name).ConfigureAwait(false)).Value;
            }
            catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.SecretNotFound || ex.ErrorCode == VaultErrorCode.Forbidden)
            {
                continue; // deleted or disabled since the listing: the event that says so queues another reload
            }

            data[Key(properties.Name, prefix)] = value;
        }

        Logger.LogInformation(VaultLogEvents.ConfigurationLoaded, "Loaded {Count} secrets from vault '{Path}' into configuration.", data.Count, _options.Vault.Path);
        return data;
    }

    private static string Key(string name, string? prefix) =>
        (prefix is null ? name : name[prefix.Length..]).Replace("--", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);

    private static bool Same(Dictionary<string, string?> next, IDictionary<string, string?> current) =>
        next.Count == current.Count && next.All(pair => current.TryGetValue(pair.Key, out var value) && string.Equals(value, pair.Value, StringComparison.Ordinal));
}
