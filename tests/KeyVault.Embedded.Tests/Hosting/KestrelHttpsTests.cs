using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using KeyVault.Embedded.AspNetCore.Https;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>
/// <c>listen.UseHttpsFromVault(name)</c> on a real Kestrel on a loopback port, with clients that trust only the vault's
/// root CA and download nothing: what the handshake serves, when a new version is served, when an old one is disposed,
/// and how a certificate that cannot be served stops the start. Real clock: the handshake checks validity against it.
/// </summary>
public sealed class KestrelHttpsTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly List<WebApplication> _apps = [];
    private readonly Channel<string> _loaded = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _completed = new();
    private readonly FakeLogCollector _logs = new();
    private X509Certificate2 _root = null!;

    public Task InitializeAsync()
    {
        SoftwareRootKey.CreateKeyFile(_dir.File("root.key"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _root?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_first_handshake_serves_the_current_version_with_the_chain_up_to_the_root()
    {
        var (app, vault) = await BuildAsync();
        await CreateChainAsync(vault);
        var current = await vault.Certificates.GetCertificateAsync("api");
        var intermediate = await vault.Certificates.GetCertificateAsync("intermediate-ca");
        await app.StartAsync();

        var seen = await TlsProbe.GetAsync(Port(app), _root, "/hello");

        seen.Thumbprint.Should().Be(current.Properties.X509ThumbprintString);
        seen.Response.Should().StartWith("HTTP/1.1 200").And.Contain("hello");
        seen.SentThumbprints.Should().Contain(intermediate.Properties.X509ThumbprintString, "the client knows only the root: the server sent the intermediate");
        seen.ChainThumbprints.Should().Equal(current.Properties.X509ThumbprintString, intermediate.Properties.X509ThumbprintString, _root.Thumbprint);
        _logs.GetSnapshot().Should().Contain(r => r.Id.Id == 3301 && r.Message.Contains(current.Properties.Version!));
    }

    [Fact]
    public async Task A_new_version_is_served_from_the_next_handshake_without_a_restart()
    {
        var (app, vault) = await BuildAsync();
        await CreateChainAsync(vault);
        await app.StartAsync();
        var first = await TlsProbe.GetAsync(Port(app), _root);

        var renewed = await NewVersionAsync(vault);
        var next = await TlsProbe.GetAsync(Port(app), _root);

        next.Thumbprint.Should().Be(renewed.Properties.X509ThumbprintString).And.NotBe(first.Thumbprint);
        next.Response.Should().StartWith("HTTP/1.1 200");
    }

    [Fact]
    public async Task An_open_connection_keeps_its_certificate_until_it_completes_and_then_that_certificate_is_disposed()
    {
        var (app, vault) = await BuildAsync();
        await CreateChainAsync(vault);
        var firstVersion = await vault.Certificates.GetCertificateAsync("api");
        await app.StartAsync();
        var client = KeepAliveClient(Port(app));
        var onConnectionA = await client.GetFromJsonAsync<Local>("/local");
        onConnectionA!.Thumbprint.Should().Be(firstVersion.Properties.X509ThumbprintString);
        var certificateOfA = _served[onConnectionA.ConnectionId];

        // Two new versions while connection A stays open: A's certificate is no longer current, nor the one before.
        await NewVersionAsync(vault);
        var third = await NewVersionAsync(vault);
        var stillA = await client.GetFromJsonAsync<Local>("/local");

        stillA!.ConnectionId.Should().Be(onConnectionA.ConnectionId, "the request went over the same kept-alive connection");
        stillA.Thumbprint.Should().Be(firstVersion.Properties.X509ThumbprintString);
        stillA.CertificateAlive.Should().BeTrue("a connection that took a version keeps it usable while it is open");
        (await TlsProbe.GetAsync(Port(app), _root)).Thumbprint.Should().Be(third.Properties.X509ThumbprintString);

        // A completes: its certificate has no user left and is disposed (the completion signal is registered before
        // the handshake, so Kestrel runs it after the release the handshake registered).
        client.Dispose();
        await _completed[onConnectionA.ConnectionId].Task.WaitAsync(Bound);

        // This proves the managed X509Certificate2 (and the key handle it owns) was disposed, nothing more: the
        // SslStreamCertificateContext built from it keeps its own duplicate of the key handle and OpenSSL contexts on
        // Linux, which live until the context is finalized (docs/guarantees.md §14).
        certificateOfA.Handle.Should().Be(IntPtr.Zero, "the managed certificate object was disposed once its last connection completed");
    }

    [Fact]
    public async Task A_missing_certificate_stops_the_start_with_a_typed_error_naming_it()
    {
        var (app, _) = await BuildAsync("missing-cert");

        var start = () => app.StartAsync();

        var error = (await start.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        error.Status.Should().Be(404);
        error.Message.Should().Contain("'missing-cert'").And.Contain("not in the vault");
        error.InnerException.Should().BeOfType<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task A_certificate_whose_private_key_this_process_cannot_use_stops_the_start()
    {
        var (app, vault) = await BuildAsync("sealed-key");
        await vault.Certificates.StartCreateCertificateAsync("sealed-key", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" } })
        {
            Exportable = false,
        });

        var start = () => app.StartAsync();

        var error = (await start.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        error.Status.Should().Be(400);
        error.Message.Should().Contain("'sealed-key'").And.Contain("no private key");
    }

    [Fact]
    public async Task A_certificate_for_client_authentication_only_stops_the_start()
    {
        var (app, vault) = await BuildAsync("client-only");
        await vault.Certificates.StartCreateCertificateAsync("client-only", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=client")
        {
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.2" },
        });

        var start = () => app.StartAsync();

        var error = (await start.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        error.Message.Should().Contain("'client-only'").And.Contain("server authentication");
    }

    [Fact]
    public async Task A_throwing_OnAuthenticate_fails_that_handshake_cleanly_without_an_error_log()
    {
        var (app, vault) = await BuildAsync(configure: o => o.OnAuthenticate = (_, _) => throw new InvalidOperationException("the application's hook failed"));
        await CreateChainAsync(vault);
        await app.StartAsync();

        var probe = () => TlsProbe.GetAsync(Port(app), _root);

        await probe.Should().ThrowAsync<Exception>("the server refused the handshake");
        await AllConnectionsCompletedAsync();
        _logs.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Error, "a refused handshake is an authentication failure to Kestrel, not an unhandled error");
        _logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Debug && r.Exception is System.Security.Authentication.AuthenticationException && r.Exception.InnerException!.Message == "the application's hook failed");
    }

    [Fact]
    public async Task After_the_vault_closes_a_handshake_fails_cleanly_without_an_error_log()
    {
        // A vault the application owns (the host's shared vault closes only with the host): closing it stops serving.
        await using var owned = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("owned.db"), RootKey = SoftwareRootKey.FromFile(_dir.File("root.key")) });
        var (app, vault) = await BuildAsync(owned: owned);
        await CreateChainAsync(vault);
        await app.StartAsync();
        (await TlsProbe.GetAsync(Port(app), _root)).Response.Should().StartWith("HTTP/1.1 200");

        await vault.DisposeAsync();
        var probe = () => TlsProbe.GetAsync(Port(app), _root);

        await probe.Should().ThrowAsync<Exception>("nothing is served once the vault closed");
        await AllConnectionsCompletedAsync();
        _logs.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Error);
        _logs.GetSnapshot().Should().Contain(r => r.Exception is System.Security.Authentication.AuthenticationException && r.Exception.InnerException is ObjectDisposedException);
    }

    [Fact]
    public async Task Changing_the_options_after_UseHttpsFromVault_changes_nothing()
    {
        VaultHttpsOptions? handed = null;
        var (app, vault) = await BuildAsync(configure: o => handed = o, after: _ => handed!.OnAuthenticate = (_, _) => throw new InvalidOperationException("too late"));
        await CreateChainAsync(vault);
        await app.StartAsync();

        var seen = await TlsProbe.GetAsync(Port(app), _root);

        handed!.OnAuthenticate.Should().NotBeNull("the test did change it");
        seen.Response.Should().StartWith("HTTP/1.1 200", "the endpoint kept the options as they were validated");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_endpoint_with_http3_is_refused_with_a_typed_error(bool beforeTheCall)
    {
        var start = async () =>
        {
            // Set before the call: refused by the call (at Build, when Kestrel's options are made); after it: at bind.
            var (app, vault) = await BuildAsync(
                before: beforeTheCall ? listen => listen.Protocols = HttpProtocols.Http1AndHttp2AndHttp3 : null,
                after: beforeTheCall ? null : listen => listen.Protocols = HttpProtocols.Http1AndHttp2AndHttp3);
            await CreateChainAsync(vault);
            await app.StartAsync();
        };

        var error = (await start.Should().ThrowAsync<NotSupportedException>()).Which;
        error.Message.Should().Contain("UseHttpsFromVault('api')").And.Contain("Http3");
    }

    private async Task AllConnectionsCompletedAsync()
    {
        foreach (var completed in _completed.Values)
        {
            await completed.Task.WaitAsync(Bound);
        }
    }

    private readonly ConcurrentDictionary<string, X509Certificate2> _served = new();

    private sealed record Local(string ConnectionId, string Thumbprint, bool CertificateAlive);

    private async Task<(WebApplication App, EmbeddedVault Vault)> BuildAsync(string certificateName = "api", Action<VaultHttpsOptions>? configure = null, Action<ListenOptions>? before = null, Action<ListenOptions>? after = null, EmbeddedVault? owned = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = _dir.Path });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _dir.File("vault.db"),
            ["EmbeddedVault:Root:KeyFile"] = _dir.File("root.key"),
            ["EmbeddedVault:Background:Enabled"] = "false",
        });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(_logs));
        if (owned is null)
        {
            builder.Services.AddEmbeddedVault(builder.Configuration);
        }
        else
        {
            builder.Services.AddSingleton(owned);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            // Registered before the TLS handshake: Kestrel runs completion callbacks last-registered first, so this one
            // runs after the handshake's own (the release of the connection's certificate).
            listen.Use(next => connection =>
            {
                var done = _completed.GetOrAdd(connection.ConnectionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                connection.Features.Get<IConnectionCompleteFeature>()!.OnCompleted(static state =>
                {
                    ((TaskCompletionSource)state).TrySetResult();
                    return Task.CompletedTask;
                }, done);
                return next(connection);
            });
            before?.Invoke(listen);
            listen.UseHttpsFromVault(certificateName, o =>
            {
                o.OnCertificateLoaded = loaded => _loaded.Writer.TryWrite(loaded.Properties.Version!);
                configure?.Invoke(o);
            });
            after?.Invoke(listen);
        }));

        var app = builder.Build();
        _apps.Add(app);
        app.MapGet("/hello", () => "hello");
        app.MapGet("/local", (HttpContext context) =>
        {
            var local = (X509Certificate2)context.Features.Get<ISslStreamFeature>()!.SslStream.LocalCertificate!;
            _served.TryAdd(context.Connection.Id, local);
            var alive = local.Handle != IntPtr.Zero;
            return new Local(context.Connection.Id, alive ? local.Thumbprint : string.Empty, alive);
        });
        return (app, app.Services.GetRequiredService<EmbeddedVault>());
    }

    /// <summary>root-ca (self-signed) issues intermediate-ca, which issues api (localhost, server authentication).</summary>
    private async Task CreateChainAsync(EmbeddedVault vault)
    {
        await vault.Certificates.StartCreateCertificateAsync("root-ca", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Kestrel Test Root CA")
        {
            KeyType = CertificateKeyType.Ec,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign },
            ValidityInMonths = 24,
        });
        var root = await vault.Certificates.GetCertificateAsync("root-ca");
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("root-ca") { CertificateName = "root-ca" });
        await vault.Certificates.StartCreateCertificateAsync("intermediate-ca", new CertificatePolicy("root-ca", "CN=Kestrel Test Intermediate CA")
        {
            KeyType = CertificateKeyType.Ec,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign },
            ValidityInMonths = 12,
        });
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("intermediate-ca") { CertificateName = "intermediate-ca" });
        await vault.Certificates.StartCreateCertificateAsync("api", ServerPolicy());
        _root = X509CertificateLoader.LoadCertificate(root.Cer);
    }

    private static CertificatePolicy ServerPolicy() => new("intermediate-ca", "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" } })
    {
        KeyType = CertificateKeyType.Ec,
        EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
        ValidityInMonths = 6,
    };

    /// <summary>A new version of api, once the server has it in place.</summary>
    private async Task<KeyVaultCertificateWithPolicy> NewVersionAsync(EmbeddedVault vault)
    {
        await vault.Certificates.StartCreateCertificateAsync("api", ServerPolicy());
        var created = await vault.Certificates.GetCertificateAsync("api");
        using var timeout = new CancellationTokenSource(Bound);
        while (await _loaded.Reader.ReadAsync(timeout.Token) != created.Properties.Version)
        {
        }

        return created;
    }

    private HttpClient KeepAliveClient(int port)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(_root);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy },
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = 1,
        })
        {
            BaseAddress = new Uri($"https://localhost:{port}"),
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    private static int Port(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
}
