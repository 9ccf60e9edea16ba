using KeyVault.Embedded;
using KeyVault.Embedded.AspNetCore.Https;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Kestrel HTTPS from a certificate in the embedded vault.</summary>
public static class VaultHttpsListenOptionsExtensions
{
    /// <summary>
    /// Serves HTTPS on this endpoint with the current version of a vault certificate and its chain:
    /// <c>kestrel.ListenAnyIP(443, listen => listen.UseHttpsFromVault("api"))</c>. The certificate is loaded when Kestrel
    /// binds the endpoint, at the server's start and before it accepts a connection (opening the vault if the host has
    /// not yet), so one that cannot be served stops the start. A new version (created, renewed, imported, merged, recovered) is served from the next
    /// handshake on, without a restart: the vault's events trigger the load, and
    /// <see cref="VaultHttpsOptions.RefreshInterval"/> bounds how long a missed change goes unseen. A version no longer
    /// current is disposed when the last connection that took it completes. Certificates with -HSM keys (a PKCS#11 root)
    /// serve with their key in the token, through OpenSSL's pkcs11 engine.
    /// </summary>
    /// <remarks>
    /// Needs <c>services.AddEmbeddedVault(...)</c>. The private key is used outside the vault's checks once loaded:
    /// disabling the certificate stops the next load, not the version being served. HTTP/1.1 and HTTP/2 (TCP) only.
    /// </remarks>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="certificateName">The certificate's name in the vault.</param>
    /// <param name="configure">Changes the settings (refresh interval, handshake hooks).</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="VaultException">
    /// <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/>, naming the certificate: it is not in the vault, is
    /// disabled, has no private key this process can use, or is not for server authentication (the vault's failure is
    /// the inner exception). A vault that cannot open fails with its own code (<c>RootKeyMismatch</c>...).
    /// </exception>
    /// <exception cref="InvalidOperationException">The vault is not registered (no <c>AddEmbeddedVault</c>).</exception>
    public static ListenOptions UseHttpsFromVault(this ListenOptions listenOptions, string certificateName, Action<VaultHttpsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentException.ThrowIfNullOrEmpty(certificateName);
        var options = new VaultHttpsOptions();
        configure?.Invoke(options);
        options.Validate();

        var endpoint = new VaultHttpsEndpoint(listenOptions.ApplicationServices, certificateName, options);

        // Loaded when Kestrel binds this endpoint (the server's start), before it accepts a connection.
        listenOptions.Use(next =>
        {
            endpoint.Start();
            return next;
        });
        return listenOptions.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = endpoint.OnConnectionAsync,
            HandshakeTimeout = options.HandshakeTimeout,
        });
    }
}
