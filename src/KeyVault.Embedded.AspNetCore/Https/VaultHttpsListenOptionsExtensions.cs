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
    /// not yet), so one that cannot be served (including one outside its validity dates by the vault's clock) stops the
    /// start. A new version (created, renewed, imported, merged, recovered) is served from the next
    /// handshake on, without a restart: the vault's events trigger the load, and
    /// <see cref="VaultHttpsOptions.RefreshInterval"/> bounds how long a missed change goes unseen. A version no longer
    /// current is disposed when the last connection that took it completes. Certificates with -HSM keys (a PKCS#11 root)
    /// serve with their key in the token, through OpenSSL's pkcs11 engine.
    /// </summary>
    /// <remarks>
    /// Needs <c>services.AddEmbeddedVault(...)</c>. The private key is used outside the vault's checks once loaded:
    /// disabling the certificate stops the next load, not the version being served (the change is logged, event 3302).
    /// HTTP/1.1 and HTTP/2 (TCP) only. Supported on Linux (OpenSSL), what the project targets and tests: on Windows,
    /// SChannel cannot serve from the ephemeral keys a vault download yields.
    /// </remarks>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="certificateName">The certificate's name in the vault.</param>
    /// <param name="configure">Changes the settings (refresh interval, handshake hooks).</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="VaultException">
    /// <see cref="VaultHttpsErrorCodes.CertificateUnavailable"/>, naming the certificate: it is not in the vault, is
    /// disabled, has no private key this process can use, is not for server authentication, is not yet or no longer
    /// valid by the vault's clock, or the vault closed during the load (the vault's failure is the inner exception). A vault that cannot open fails with its own code (<c>RootKeyMismatch</c>...).
    /// </exception>
    /// <exception cref="InvalidOperationException">The vault is not registered (no <c>AddEmbeddedVault</c>).</exception>
    /// <exception cref="NotSupportedException">
    /// The endpoint's <see cref="ListenOptions.Protocols"/> include <see cref="HttpProtocols.Http3"/> (checked at this
    /// call and again when Kestrel binds the endpoint).
    /// </exception>
    public static ListenOptions UseHttpsFromVault(this ListenOptions listenOptions, string certificateName, Action<VaultHttpsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentException.ThrowIfNullOrEmpty(certificateName);
        ThrowIfHttp3(listenOptions, certificateName);
        var configured = new VaultHttpsOptions();
        configure?.Invoke(configured);
        configured.Validate();

        // A copy: changing the instance handed to configure later changes nothing.
        var options = configured.Copy();
        var endpoint = new VaultHttpsEndpoint(listenOptions.ApplicationServices, certificateName, options);

        // Loaded when Kestrel binds this endpoint (the server's start), before it accepts a connection.
        listenOptions.Use(next =>
        {
            ThrowIfHttp3(listenOptions, certificateName); // Protocols set after the call
            endpoint.Start();
            return next;
        });
        return listenOptions.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = endpoint.OnConnectionAsync,
            HandshakeTimeout = options.HandshakeTimeout,
        });
    }

    private static void ThrowIfHttp3(ListenOptions listenOptions, string certificateName)
    {
        if ((listenOptions.Protocols & HttpProtocols.Http3) == HttpProtocols.Http3)
        {
            throw new NotSupportedException($"UseHttpsFromVault('{certificateName}') serves HTTP/1.1 and HTTP/2 over TCP only: the endpoint's Protocols ({listenOptions.Protocols}) include Http3, whose QUIC handshakes would not take the vault's certificate through this endpoint. Set Protocols to Http1, Http2 or Http1AndHttp2.");
        }
    }
}
