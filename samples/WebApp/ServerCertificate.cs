using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Events;

namespace KeyVault.Embedded.Samples.WebApp;

/// <summary>
/// The server certificate Kestrel presents: downloaded from the vault with its private key, and downloaded again when
/// the vault renews it or gives it a new version (the background service renews it before it expires).
/// </summary>
public sealed class ServerCertificate : IObserver<VaultEvent>, IDisposable
{
    private readonly EmbeddedVault _vault;
    private readonly string _name;
    private readonly IDisposable _subscription;
    private X509Certificate2 _current;

    /// <summary>Downloads the certificate and watches the vault for new versions of it.</summary>
    /// <param name="vault">The app's vault.</param>
    /// <param name="configuration">Names the certificate (<c>WebApp:CertificateName</c>).</param>
    public ServerCertificate(EmbeddedVault vault, IConfiguration configuration)
    {
        _vault = vault;
        _name = configuration["WebApp:CertificateName"] ?? "webapp-tls";
        _current = Download();
        _subscription = vault.Events.Subscribe(this);
    }

    /// <summary>The certificate to present now.</summary>
    public X509Certificate2 Current => Volatile.Read(ref _current);

    /// <inheritdoc />
    public void OnNext(VaultEvent value)
    {
        // Every new version (a renewal is one too). Observers run on the writer's thread: download elsewhere.
        if (value.ObjectKind == VaultObjectKind.Certificate && value.EventType == VaultEventType.NewVersion
            && string.Equals(value.Name, _name, StringComparison.OrdinalIgnoreCase))
        {
            _ = Task.Run(Refresh);
        }
    }

    /// <inheritdoc />
    public void OnError(Exception error)
    {
    }

    /// <inheritdoc />
    public void OnCompleted()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription.Dispose();
        Current.Dispose();
    }

    /// <summary>Raised after a new certificate is in place (tests wait on it).</summary>
    public event Action? Refreshed;

    private X509Certificate2 Download() => _vault.Certificates.DownloadCertificateAsync(_name).GetAwaiter().GetResult();

    private async Task Refresh()
    {
        var next = await _vault.Certificates.DownloadCertificateAsync(_name).ConfigureAwait(false);
        var previous = Interlocked.Exchange(ref _current, next);
        Refreshed?.Invoke();

        // Handshakes that picked the old one a moment ago finish with it; then its private key is released.
        await Task.Delay(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        previous.Dispose();
    }
}
