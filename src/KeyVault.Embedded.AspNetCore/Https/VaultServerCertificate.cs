using System.Net.Security;
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
/// vault raises an event about it (a new version, a renewal, a recovery, an update) and every
/// <see cref="VaultHttpsOptions.RefreshInterval"/>; each handshake takes the current version's context. A version no
/// longer current is disposed when the last connection that took it completes (<see cref="ServedCertificate"/>).
/// </summary>
internal sealed class VaultServerCertificate : IObserver<VaultEvent>, IDisposable
{
    /// <summary>A version is in place (Information): name, version, thumbprint.</summary>
    internal static readonly EventId Loaded = new(3301, "HttpsCertificateLoaded");

    /// <summary>A refresh failed; the version already served stays (Warning).</summary>
    internal static readonly EventId RefreshFailed = new(3302, "HttpsCertificateRefreshFailed");

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private readonly ICertificateStore _certificates;
    private readonly string _name;
    private readonly VaultHttpsOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly Lock _sync = new();
    private IDisposable? _subscription;
    private ITimer? _timer;
    private ServedCertificate? _current;
    private bool _disposed;

    private VaultServerCertificate(ICertificateStore certificates, string name, VaultHttpsOptions options, ILogger logger)
    {
        _certificates = certificates;
        _name = name;
        _options = options;
        _logger = logger;
    }

    /// <summary>The version served to the next handshake (null once disposed).</summary>
    internal ServedCertificate? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the current version and starts watching <paramref name="events"/> and the interval. Fails with
    /// <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/> when the certificate cannot be served.
    /// </summary>
    public static async Task<VaultServerCertificate> StartAsync(ICertificateStore certificates, IObservable<VaultEvent> events, string name, VaultHttpsOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var server = new VaultServerCertificate(certificates, name, options, logger);
        try
        {
            // Watch first, then load: an event during the first load waits for it and checks again.
            server._subscription = events.Subscribe(server);
            await server.RefreshAsync(cancellationToken).ConfigureAwait(false);
            server._timer = time.CreateTimer(static state => _ = ((VaultServerCertificate)state!).RefreshInBackgroundAsync(), server, options.RefreshInterval, options.RefreshInterval);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kestrel's per-connection callback: the current version, held until the connection completes.</summary>
    public ValueTask<SslServerAuthenticationOptions> OnConnectionAsync(TlsHandshakeCallbackContext context)
    {
        var served = Acquire();
        var lease = new Lease(served);
        if (context.Connection.Features.Get<IConnectionCompleteFeature>() is { } completion)
        {
            // Runs after the connection's SslStream is disposed: no later handshake (renegotiation) can use the key.
            completion.OnCompleted(static state =>
            {
                ((Lease)state).Dispose();
                return Task.CompletedTask;
            }, lease);
        }
        else
        {
            context.Connection.ConnectionClosed.Register(static state => ((Lease)state!).Dispose(), lease);
        }

        var ssl = new SslServerAuthenticationOptions { ServerCertificateContext = served.Context };
        _options.OnAuthenticate?.Invoke(context, ssl);
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

    /// <summary>Loads the current version when it is not the one served; swaps it in and releases the previous one.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            var (found, next) = await LoadAsync(Current?.Version, cancellationToken).ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            ServedCertificate? previous;
            lock (_sync)
            {
                if (_disposed)
                {
                    next.Release();
                    return;
                }

                previous = _current;
                Volatile.Write(ref _current, next);
            }

            // The previous version goes when its last connection completes (at once when none took it).
            previous?.Release();
            _logger.LogInformation(Loaded, "Serving HTTPS with certificate '{Name}' version {Version} (thumbprint {Thumbprint}).", _name, next.Version, next.Certificate.Thumbprint);
            _options.OnCertificateLoaded?.Invoke(found);
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <inheritdoc />
    public void OnNext(VaultEvent value)
    {
        // Observers run on the writer's thread, inside its call: load elsewhere.
        if (value.ObjectKind == VaultObjectKind.Certificate
            && value.EventType is VaultEventType.NewVersion or VaultEventType.Renewed or VaultEventType.Recovered or VaultEventType.PropertiesUpdated
            && string.Equals(value.Name, _name, StringComparison.OrdinalIgnoreCase))
        {
            _ = Task.Run(RefreshInBackgroundAsync);
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
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current;
            Volatile.Write(ref _current, null);
        }

        _subscription?.Dispose();
        _timer?.Dispose();
        current?.Release();
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed))
        {
            // Stopped meanwhile.
        }
        catch (Exception ex)
        {
            _logger.LogWarning(RefreshFailed, ex, "Could not load a new version of HTTPS certificate '{Name}'; the version served stays in use.", _name);
            try
            {
                _options.OnRefreshFailure?.Invoke(ex);
            }
            catch (Exception callback)
            {
                _logger.LogWarning(RefreshFailed, callback, "VaultHttpsOptions.OnRefreshFailure threw for certificate '{Name}'.", _name);
            }
        }
    }

    /// <summary>The current version with its private key and chain, or no certificate when it is <paramref name="served"/>.</summary>
    private async Task<(KeyVaultCertificate Found, ServedCertificate? Next)> LoadAsync(string? served, CancellationToken cancellationToken)
    {
        KeyVaultCertificate found;
        try
        {
            found = await _certificates.GetCertificateAsync(_name, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException ex)
        {
            throw Unavailable(404, "it is not in the vault", ex);
        }
        catch (VaultException ex)
        {
            throw Unavailable(ex.Status, $"the vault refused to read it ({ex.ErrorCode}: {ex.Message})", ex);
        }

        var version = found.Properties.Version ?? throw Unavailable(500, "the vault returned it without a version", null);
        if (string.Equals(version, served, StringComparison.Ordinal))
        {
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
            throw Unavailable(ex.Status, $"the vault refused to download version {version} ({ex.ErrorCode}: {ex.Message})", ex);
        }

        var chain = new X509Certificate2Collection();
        try
        {
            if (!leaf.HasPrivateKey)
            {
                throw Unavailable(400, $"version {version} has no private key this process can use (its policy is not exportable and its key is not a token key); create it with an exportable policy or an -HSM key", null);
            }

            if (!AllowsServerAuthentication(leaf))
            {
                throw Unavailable(400, $"version {version} is not for server authentication (its extended key usage lacks {ServerAuthentication})", null);
            }

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

    /// <summary>Kestrel's rule: no extended key usage at all, or one that includes server authentication.</summary>
    private static bool AllowsServerAuthentication(X509Certificate2 certificate)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        return usages.Count == 0 || usages.Any(u => u.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == ServerAuthentication));
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
