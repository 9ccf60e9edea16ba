using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Events;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// The certificate one Kestrel endpoint serves from the vault: loaded before the first handshake, loaded again when the
/// vault raises an event about it (a new version, a renewal, a recovery, an update, a deletion, an expiry) and every
/// <see cref="VaultHttpsOptions.RefreshInterval"/>; each handshake takes the current version's context. A version no
/// longer current is released when the last connection that took it completes (<see cref="ServedCertificate"/>).
/// Refreshes run in no caller's flow (neither the writer whose change raised the event nor the code that bound the
/// endpoint): the vault sees them as the application, or whatever the host's caller accessor says outside a request.
/// </summary>
internal sealed class VaultServerCertificate : IObserver<VaultEvent>, IDisposable
{
    /// <summary>A version is in place (Information): name, version, thumbprint.</summary>
    internal static readonly EventId Loaded = new(3301, "HttpsCertificateLoaded");

    /// <summary>A refresh failed, or the version served is no longer usable in the vault; the version served stays (Warning).</summary>
    internal static readonly EventId RefreshFailed = new(3302, "HttpsCertificateRefreshFailed");

    /// <summary>An application callback (<see cref="VaultHttpsOptions.OnCertificateLoaded"/>, <see cref="VaultHttpsOptions.OnRefreshFailure"/>) threw (Warning).</summary>
    internal static readonly EventId CallbackFailed = new(3303, "HttpsCertificateCallbackFailed");

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    // Refresh requests: none running, one running, one running and another asked for meanwhile (coalesced).
    private const int Idle = 0;
    private const int Running = 1;
    private const int RunningAndPending = 2;

    private readonly ICertificateStore _certificates;
    private readonly string _name;
    private readonly VaultHttpsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly Lock _sync = new();
    private IDisposable? _subscription;
    private ITimer? _timer;
    private ServedCertificate? _current;
    private int _refresh;
    private bool _disposed;

    private VaultServerCertificate(ICertificateStore certificates, string name, VaultHttpsOptions options, TimeProvider time, ILogger logger)
    {
        _certificates = certificates;
        _name = name;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The version served to the next handshake (null once disposed).</summary>
    internal ServedCertificate? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the current version and starts watching <paramref name="events"/> and the interval on
    /// <paramref name="time"/> (the vault's clock, which also judges the certificate's dates). Fails with
    /// <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/> when the certificate cannot be served, including when
    /// the vault closes during the load.
    /// </summary>
    public static async Task<VaultServerCertificate> StartAsync(ICertificateStore certificates, IObservable<VaultEvent> events, string name, VaultHttpsOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var server = new VaultServerCertificate(certificates, name, options, time, logger);
        try
        {
            // Watch first, then load: an event during the first load waits for it and checks again.
            server._subscription = events.Subscribe(server);
            await server.RefreshAsync(cancellationToken).ConfigureAwait(false);
            lock (server._sync)
            {
                // Not once stopped (the vault closed during the load): nothing would dispose it.
                if (!server._disposed)
                {
                    server._timer = CreateTimerOutsideCallerFlow(time, server, options.RefreshInterval);
                }
            }

            if (server.Current is null)
            {
                throw server.Unavailable(503, "the vault closed while it was being loaded", new ObjectDisposedException(nameof(EmbeddedVault)));
            }

            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Kestrel's per-connection callback: the current version, held until the connection completes. Whatever goes wrong
    /// (stopped, the vault closed, <see cref="VaultHttpsOptions.OnAuthenticate"/> threw, no completion signal to release
    /// the version by) fails the handshake as an <see cref="AuthenticationException"/>, the failure Kestrel expects
    /// from a handshake: the connection is closed and logged at Debug, not as an unhandled error.
    /// </summary>
    public ValueTask<SslServerAuthenticationOptions> OnConnectionAsync(TlsHandshakeCallbackContext context)
    {
        // Without it nothing tells when the connection's SslStream is done with the key: refuse rather than guess.
        if (context.Connection.Features.Get<IConnectionCompleteFeature>() is not { } completion)
        {
            throw new AuthenticationException($"HTTPS from vault certificate '{_name}' needs Kestrel's connection completion feature (IConnectionCompleteFeature) to release the certificate; this connection has none and is refused.");
        }

        ServedCertificate served;
        try
        {
            served = Acquire();
        }
        catch (ObjectDisposedException ex)
        {
            throw new AuthenticationException($"HTTPS from vault certificate '{_name}' has stopped (the host is stopping or the vault closed); the handshake is refused.", ex);
        }

        var ssl = new SslServerAuthenticationOptions { ServerCertificateContext = served.Context };
        try
        {
            _options.OnAuthenticate?.Invoke(context, ssl);
        }
        catch (Exception ex)
        {
            served.Release(); // no handshake took it
            throw new AuthenticationException($"VaultHttpsOptions.OnAuthenticate threw for HTTPS certificate '{_name}'; the handshake is refused.", ex);
        }

        // Runs after the connection's SslStream is disposed: no later handshake (renegotiation) can use the key.
        completion.OnCompleted(static state =>
        {
            ((Lease)state).Dispose();
            return Task.CompletedTask;
        }, new Lease(served));
        return ValueTask.FromResult(ssl);
    }

    /// <summary>Takes a reference on the current version (retrying when a swap released the one just read).</summary>
    internal ServedCertificate Acquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _current) ?? throw new ObjectDisposedException(nameof(VaultServerCertificate), $"HTTPS from vault certificate '{_name}' has stopped.");
            if (current.TryAcquire())
            {
                return current;
            }
        }
    }

    /// <summary>
    /// Loads the current version when it is not the one served; swaps it in and releases the previous one. Fails (and
    /// keeps the version served) when the current version cannot be served, or when it is the version served and the
    /// vault no longer allows it (disabled, expired).
    /// </summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        KeyVaultCertificate found;
        ServedCertificate next;
        try
        {
            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            var (loaded, candidate) = await LoadAsync(Current, cancellationToken).ConfigureAwait(false);
            if (candidate is null)
            {
                return;
            }

            ServedCertificate? previous;
            lock (_sync)
            {
                if (_disposed)
                {
                    candidate.Release();
                    return;
                }

                previous = _current;
                Volatile.Write(ref _current, candidate);
            }

            // The previous version goes when its last connection completes (at once when none took it).
            previous?.Release();
            _logger.LogInformation(Loaded, "Serving HTTPS with certificate '{Name}' version {Version} (thumbprint {Thumbprint}).", _name, candidate.Version, candidate.Certificate.Thumbprint);
            found = loaded;
            next = candidate;
        }
        finally
        {
            _loading.Release();
        }

        // The swap is done: a throwing callback is the application's failure, not a failed load.
        try
        {
            _options.OnCertificateLoaded?.Invoke(found);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(CallbackFailed, ex, "VaultHttpsOptions.OnCertificateLoaded threw for HTTPS certificate '{Name}' version {Version}; that version is served regardless.", _name, next.Version);
        }
    }

    /// <inheritdoc />
    public void OnNext(VaultEvent value)
    {
        // Observers run on the writer's thread, inside its call: load elsewhere, in no caller's flow.
        if (value.ObjectKind == VaultObjectKind.Certificate
            && value.EventType is VaultEventType.NewVersion or VaultEventType.Renewed or VaultEventType.Recovered or VaultEventType.PropertiesUpdated or VaultEventType.Deleted or VaultEventType.Expired
            && string.Equals(value.Name, _name, StringComparison.OrdinalIgnoreCase))
        {
            RequestRefresh();
        }
    }

    /// <inheritdoc />
    public void OnError(Exception error)
    {
    }

    /// <summary>The vault closed: nothing more can be loaded, and a token key stops working with its login.</summary>
    public void OnCompleted() => Dispose();

    /// <summary>Stops watching and releases the current version (connections still open keep theirs until they complete).</summary>
    public void Dispose()
    {
        ServedCertificate? current;
        ITimer? timer;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current;
            timer = _timer;
            Volatile.Write(ref _current, null);
        }

        _subscription?.Dispose();
        timer?.Dispose();
        current?.Release();
    }

    /// <summary>
    /// The interval timer, created with the caller's flow suppressed: a timer captures the execution context it is made
    /// in (the bind's caller, request, activity) and would run every tick in it.
    /// </summary>
    private static ITimer CreateTimerOutsideCallerFlow(TimeProvider time, VaultServerCertificate server, TimeSpan interval)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return time.CreateTimer(static state => ((VaultServerCertificate)state!).RequestRefresh(), server, interval, interval);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return time.CreateTimer(static state => ((VaultServerCertificate)state!).RequestRefresh(), server, interval, interval);
        }
    }

    /// <summary>
    /// Asks for a refresh: starts one on the thread pool when none runs, else marks one pending (any number of events and
    /// ticks during a refresh make one more, which sees the vault as it is by then). The work item does not carry the
    /// requester's execution context (<see cref="ThreadPool.UnsafeQueueUserWorkItem{TState}(Action{TState}, TState, bool)"/>).
    /// </summary>
    private void RequestRefresh()
    {
        while (true)
        {
            var state = Volatile.Read(ref _refresh);
            if (state == RunningAndPending)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _refresh, state + 1, state) == state)
            {
                if (state == Idle)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static server => _ = server.RefreshLoopAsync(), this, preferLocal: false);
                }

                return;
            }
        }
    }

    private async Task RefreshLoopAsync()
    {
        do
        {
            // This pass reads the vault after every request made so far.
            Interlocked.Exchange(ref _refresh, Running);
            await RefreshInBackgroundAsync().ConfigureAwait(false);
        }
        while (Interlocked.CompareExchange(ref _refresh, Idle, Running) != Running);
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref _disposed))
        {
            // Stopped meanwhile (the vault closed): nothing is served any more.
        }
        catch (Exception ex)
        {
            _logger.LogWarning(RefreshFailed, ex, "HTTPS certificate '{Name}': the refresh failed or the version served is no longer usable in the vault; version {Version} stays in use.", _name, Current?.Version);
            try
            {
                _options.OnRefreshFailure?.Invoke(ex);
            }
            catch (Exception callback)
            {
                _logger.LogWarning(CallbackFailed, callback, "VaultHttpsOptions.OnRefreshFailure threw for HTTPS certificate '{Name}'.", _name);
            }
        }
    }

    /// <summary>
    /// The current version with its private key and chain, or no certificate when it is the one <paramref name="served"/>
    /// and still usable. Every failure is <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/>.
    /// </summary>
    private async Task<(KeyVaultCertificate Found, ServedCertificate? Next)> LoadAsync(ServedCertificate? served, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadCoreAsync(served, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException ex)
        {
            throw Unavailable(503, "the vault is closed", ex);
        }
        catch (CryptographicException ex)
        {
            throw Unavailable(500, $"its certificate or private key could not be loaded ({ex.GetType().Name})", ex);
        }
    }

    private async Task<(KeyVaultCertificate Found, ServedCertificate? Next)> LoadCoreAsync(ServedCertificate? served, CancellationToken cancellationToken)
    {
        var stays = served is null ? string.Empty : $"; the version served ({served.Version}) stays in use";
        KeyVaultCertificate found;
        try
        {
            found = await _certificates.GetCertificateAsync(_name, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException ex)
        {
            throw Unavailable(404, $"it is not in the vault{stays}", ex);
        }
        catch (VaultException ex)
        {
            throw Unavailable(ex.Status, $"the vault refused to read it ({ex.ErrorCode}: {ex.Message}){stays}", ex);
        }

        var version = found.Properties.Version ?? throw Unavailable(500, "the vault returned it without a version", null);
        if (served is not null && string.Equals(version, served.Version, StringComparison.Ordinal))
        {
            // Nothing new: but say so when the vault no longer allows what is served (it is not revoked here).
            if (found.Properties.Enabled == false)
            {
                throw Unavailable(403, $"the version served ({version}) is disabled in the vault; it stays in use until a new version replaces it (a served version is not revoked)", null);
            }

            ThrowIfOutsideValidity(version, served.NotBefore, served.NotAfter, " (the version served; it stays in use until a new version replaces it)");
            return (found, null);
        }

        X509Certificate2 leaf;
        try
        {
            // This very version: the chain read above belongs to it even if another version arrives meanwhile.
            leaf = await _certificates.DownloadCertificateAsync(_name, version, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultException ex)
        {
            throw Unavailable(ex.Status, $"the vault refused to download version {version} ({ex.ErrorCode}: {ex.Message}){stays}", ex);
        }

        var chain = new X509Certificate2Collection();
        try
        {
            if (!leaf.HasPrivateKey)
            {
                throw Unavailable(400, $"version {version} has no private key this process can use (its policy is not exportable and its key is not a token key); create it with an exportable policy or an -HSM key{stays}", null);
            }

            if (!AllowsServerAuthentication(leaf))
            {
                throw Unavailable(400, $"version {version} is not for server authentication (its extended key usage lacks {ServerAuthentication}){stays}", null);
            }

            ThrowIfOutsideValidity(version, new DateTimeOffset(leaf.NotBefore), new DateTimeOffset(leaf.NotAfter), stays);
            foreach (var der in found.Chain)
            {
                chain.Add(X509CertificateLoader.LoadCertificate(der));
            }

            return (found, new ServedCertificate(version, leaf, chain));
        }
        catch
        {
            leaf.Dispose();
            foreach (var certificate in chain)
            {
                certificate.Dispose();
            }

            throw;
        }
    }

    /// <summary>A leaf before its NotBefore or past its NotAfter, by the vault's clock, is not served: clients would refuse it.</summary>
    private void ThrowIfOutsideValidity(string version, DateTimeOffset notBefore, DateTimeOffset notAfter, string stays)
    {
        var now = _time.GetUtcNow();
        if (now < notBefore)
        {
            throw Unavailable(400, $"version {version} is not valid before {notBefore.UtcDateTime:O} (the vault's clock says {now.UtcDateTime:O}){stays}", null);
        }

        if (now > notAfter)
        {
            throw Unavailable(400, $"version {version} expired at {notAfter.UtcDateTime:O} (the vault's clock says {now.UtcDateTime:O}){stays}", null);
        }
    }

    /// <summary>Kestrel's rule: no extended key usage at all, or one that includes server authentication.</summary>
    private static bool AllowsServerAuthentication(X509Certificate2 certificate)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        return usages.Count == 0 || usages.Any(u => u.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ServerAuthentication));
    }

    private VaultException Unavailable(int status, string reason, Exception? inner) =>
        new(VaultHttpsErrorCodes.CertificateUnavailable, status, $"Kestrel cannot serve HTTPS from vault certificate '{_name}': {reason}.", inner);

    /// <summary>One connection's reference: released once, when the connection completes.</summary>
    private sealed class Lease(ServedCertificate served) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                served.Release();
            }
        }
    }
}
