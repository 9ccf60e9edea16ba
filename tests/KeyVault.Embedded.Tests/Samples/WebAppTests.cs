using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Samples.WebApp;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Tests.Samples;

/// <summary>
/// samples/WebApp in-process on a loopback port: HTTPS with the vault's certificate (the client trusts only the vault's
/// CA), a connection string from the vault through IConfiguration, and a healthy health endpoint. Real clock: the
/// handshake checks validity against it.
/// </summary>
public sealed class WebAppTests : IAsyncLifetime
{
    private const string ConnectionString = "Server=ledger-db;Database=ledger;Password=never-shown-1";
    private readonly TempDirectory _dir = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private X509Certificate2 _ca = null!;
    private readonly LogChannel _certificateLoaded = new(3301);
    private byte[]? _lastServerCertificate;

    public async Task InitializeAsync()
    {
        var keyFile = _dir.File("root.key");
        SoftwareRootKey.CreateKeyFile(keyFile);
        var vaultPath = _dir.File("vault.db");
        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = vaultPath, Root = { KeyFile = keyFile } }))
        {
            await vault.Secrets.SetSecretAsync("ConnectionStrings--Orders", ConnectionString);
        }

        _app = await WebAppHost.BuildAsync([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EmbeddedVault:Path"] = vaultPath,
                ["EmbeddedVault:Root:KeyFile"] = keyFile,
                ["WebApp:Port"] = "0",
            });
            builder.Logging.AddProvider(_certificateLoaded); // event 3301: a certificate version is in place
        });
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var vaultInApp = _app.Services.GetRequiredService<EmbeddedVault>();
        _ca = X509CertificateLoader.LoadCertificate((await vaultInApp.Certificates.GetCertificateAsync(WebAppHost.CaName)).Cer);
        var trust = TlsLoopback.TrustOnly(_ca);
        var validate = trust.CertificateChainPolicy!;
        trust.CertificateChainPolicy = null;
        trust.TargetHost = null;
        trust.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            _lastServerCertificate = certificate?.GetRawCertData();
            using var chain = new X509Chain { ChainPolicy = validate.Clone() };
            return certificate is not null
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        _client = new HttpClient(new SocketsHttpHandler { SslOptions = trust, PooledConnectionLifetime = TimeSpan.Zero })
        {
            BaseAddress = new Uri(address),
        };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task It_serves_https_with_the_vault_certificate_the_connection_string_from_the_vault_and_a_healthy_status()
    {
        _client.BaseAddress!.Scheme.Should().Be("https");
        _client.BaseAddress.Host.Should().Be("127.0.0.1");

        var body = await _client.GetStringAsync("/");
        var answer = JsonDocument.Parse(body).RootElement;
        answer.GetProperty("server").GetString().Should().Be("ledger-db");
        answer.GetProperty("database").GetString().Should().Be("ledger");
        answer.GetProperty("hasPassword").GetBoolean().Should().BeTrue();
        body.Should().NotContain("never-shown-1");

        var served = X509CertificateLoader.LoadCertificate(_lastServerCertificate!);
        served.Issuer.Should().Be(_ca.Subject, "the vault's CA issued the server certificate");

        var health = await _client.GetFromJsonAsync<JsonElement>("/health");
        health.GetProperty("status").GetString().Should().Be("Healthy");
        health.GetProperty("checks").GetProperty("embedded-vault").GetProperty("status").GetString().Should().Be("Healthy");
    }

    [Fact]
    public async Task A_new_connection_string_and_a_new_certificate_version_are_picked_up_without_a_restart()
    {
        await _client.GetStringAsync("/");
        var firstCertificate = _lastServerCertificate;
        var vault = _app.Services.GetRequiredService<EmbeddedVault>();

        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _app.Services.GetRequiredService<IConfiguration>().GetReloadToken().RegisterChangeCallback(_ => reloaded.TrySetResult(), null);
        await _app.Services.GetRequiredService<ISecretStore>().SetSecretAsync("ConnectionStrings--Orders", "Server=ledger-db-2;Database=ledger");
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var policy = await vault.Certificates.GetCertificatePolicyAsync("webapp-tls");
        await vault.Certificates.StartCreateCertificateAsync("webapp-tls", policy);
        var created = await vault.Certificates.GetCertificateAsync("webapp-tls");
        await _certificateLoaded.WaitForAsync(created.Properties.Version!, TimeSpan.FromSeconds(30));

        var server = (await _client.GetFromJsonAsync<JsonElement>("/")).GetProperty("server").GetString();

        server.Should().Be("ledger-db-2");
        _lastServerCertificate.Should().NotEqual(firstCertificate, "the new version is served on the next handshake");
    }
}
