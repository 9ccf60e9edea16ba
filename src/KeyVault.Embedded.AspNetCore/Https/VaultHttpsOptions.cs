using System.Net.Security;
using KeyVault.Embedded.Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// Settings of <c>ListenOptions.UseHttpsFromVault</c>: how often the vault is checked for a new version besides its
/// events, the handshake timeout, and hooks for the handshake options and for what was loaded.
/// </summary>
public sealed class VaultHttpsOptions
{
    /// <summary>
    /// How often the current version is checked even without a vault event (a fallback: every new version, renewal or
    /// recovery made through the vault raises one). Default five minutes; one second to one day. Runs on the vault's
    /// <see cref="TimeProvider"/>.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The TLS handshake timeout. Default ten seconds, as Kestrel's.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Changes the options of each handshake after the vault's certificate is set in them (client certificates,
    /// protocols, cipher suites). Leave <see cref="SslServerAuthenticationOptions.ServerCertificateContext"/> alone. If it
    /// throws, that handshake is refused (Kestrel sees an authentication failure and closes the connection).
    /// </summary>
    public Action<TlsHandshakeCallbackContext, SslServerAuthenticationOptions>? OnAuthenticate { get; set; }

    /// <summary>
    /// Called after a version is in place, at start and after each change: the next handshake serves it. Receives the
    /// version's public certificate, chain and properties (never its key). Runs on a background thread. If it throws, the
    /// version is served all the same and the exception is logged (event id 3303).
    /// </summary>
    public Action<KeyVaultCertificate>? OnCertificateLoaded { get; set; }

    /// <summary>
    /// Called when a refresh after the start fails (the certificate deleted, its new version disabled, without a usable
    /// private key or outside its validity dates), and when the version served is no longer usable in the vault
    /// (disabled, deleted, expired): the version already served stays in use (it is not revoked) and the next event or
    /// interval tries again. The failure is logged too (event id 3302). Receives a <see cref="VaultException"/> with
    /// <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/>.
    /// </summary>
    public Action<Exception>? OnRefreshFailure { get; set; }

    /// <summary>The settings as validated: what the endpoint keeps, so later changes to this instance do nothing.</summary>
    internal VaultHttpsOptions Copy() => new()
    {
        RefreshInterval = RefreshInterval,
        HandshakeTimeout = HandshakeTimeout,
        OnAuthenticate = OnAuthenticate,
        OnCertificateLoaded = OnCertificateLoaded,
        OnRefreshFailure = OnRefreshFailure,
    };

    internal void Validate()
    {
        if (RefreshInterval < TimeSpan.FromSeconds(1) || RefreshInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshInterval), RefreshInterval, "VaultHttpsOptions.RefreshInterval must be between one second and one day.");
        }

        if (HandshakeTimeout <= TimeSpan.Zero && HandshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "VaultHttpsOptions.HandshakeTimeout must be positive (or infinite).");
        }
    }
}
