using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// One <c>UseHttpsFromVault</c> endpoint: starts its <see cref="VaultServerCertificate"/> once, when Kestrel binds
/// (a <c>WebApplication</c> builds Kestrel's options at <c>Build()</c>, before the app may have created the
/// certificate; binding is the server's start), and hands each handshake the current version.
/// </summary>
internal sealed class VaultHttpsEndpoint
{
    private readonly IServiceProvider _services;
    private readonly string _name;
    private readonly VaultHttpsOptions _options;
    private readonly Lazy<Task<VaultServerCertificate>> _server;

    public VaultHttpsEndpoint(IServiceProvider services, string name, VaultHttpsOptions options)
    {
        _services = services;
        _name = name;
        _options = options;
        _server = new Lazy<Task<VaultServerCertificate>>(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// At bind time (Kestrel builds each endpoint's pipeline synchronously, before it accepts): loads the certificate,
    /// so one that cannot be served fails the server's start. Once for every address the endpoint binds.
    /// </summary>
    public void Start() => _server.Value.GetAwaiter().GetResult();

    /// <summary>
    /// Kestrel's handshake callback. Any failure is an <see cref="AuthenticationException"/>: Kestrel's HTTPS middleware
    /// treats that as a failed handshake (the connection closed, its stream disposed, a Debug log); anything else escapes
    /// it as an unhandled connection error.
    /// </summary>
    public async ValueTask<SslServerAuthenticationOptions> OnConnectionAsync(TlsHandshakeCallbackContext context)
    {
        try
        {
            var server = await _server.Value.ConfigureAwait(false);
            return await server.OnConnectionAsync(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not AuthenticationException and not OperationCanceledException)
        {
            throw new AuthenticationException($"HTTPS from vault certificate '{_name}' could not serve this handshake ({ex.GetType().Name}); the connection is refused.", ex);
        }
    }

    private async Task<VaultServerCertificate> StartAsync()
    {
        var vault = _services.GetService<EmbeddedVault>()
            ?? throw new InvalidOperationException("UseHttpsFromVault needs the embedded vault's services: call services.AddEmbeddedVault(...) first.");
        var time = _services.GetService<IOptions<EmbeddedVaultOptions>>()?.Value.TimeProvider ?? TimeProvider.System;
        var logger = (_services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded");
        var server = await VaultServerCertificate.StartAsync(vault.Certificates, vault.Events, _name, _options, time, logger, CancellationToken.None).ConfigureAwait(false);

        // Kestrel has stopped by then (its connections completed or were aborted); the vault closes after.
        _services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(server.Dispose);
        return server;
    }
}
