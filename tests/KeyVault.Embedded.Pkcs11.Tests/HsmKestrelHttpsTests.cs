using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary>
/// <c>listen.UseHttpsFromVault(name)</c> with -HSM certificates: a real Kestrel signs its TLS handshakes with a key that
/// lives in a SoftHSMv2 token (through OpenSSL's pkcs11 engine), picks up a new token-key version without a restart,
/// and stops cleanly while the vault still holds the token's login.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class HsmKestrelHttpsTests(SoftHsm hsm) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly Channel<string> _loaded = Channel.CreateUnbounded<string>();
    private Pkcs11RootKey _root = null!;

    public Task InitializeAsync()
    {
        _root = new Pkcs11RootKey(SoftHsm.Options(hsm.SharedToken));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _root.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("RSA-HSM")]
    [InlineData("EC-HSM")]
    public async Task Kestrel_serves_https_with_a_token_key_and_a_new_token_key_version_without_a_restart(string keyType)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = _dir.Path });
        builder.Logging.ClearProviders();
        builder.Services.AddEmbeddedVault(o =>
        {
            o.Path = _dir.File("vault.db");
            o.RootKey = _root;
            o.Background.Enabled = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.UseHttpsFromVault("tls", o => o.OnCertificateLoaded = loaded => _loaded.Writer.TryWrite(loaded.Properties.Version!))));
        await using var app = builder.Build();
        app.MapGet("/hello", () => "hello from the token");
        var vault = app.Services.GetRequiredService<EmbeddedVault>();

        await vault.Certificates.StartCreateCertificateAsync("tls-root", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Token Kestrel Root")
        {
            KeyType = CertificateKeyType.EcHsm,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.DigitalSignature },
        });
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("tls-root") { CertificateName = "tls-root" });
        var policy = new CertificatePolicy("tls-root", "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" } })
        {
            KeyType = new CertificateKeyType(keyType),
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
        };
        await vault.Certificates.StartCreateCertificateAsync("tls", policy);
        var first = await vault.Certificates.GetCertificateAsync("tls");
        first.Policy.Exportable.Should().BeFalse("an -HSM key never leaves the token");
        using var trusted = X509CertificateLoader.LoadCertificate((await vault.Certificates.GetCertificateAsync("tls-root")).Cer);

        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        var seen = await TlsProbe.GetAsync(port, trusted);

        seen.Thumbprint.Should().Be(first.Properties.X509ThumbprintString);
        seen.Response.Should().StartWith("HTTP/1.1 200").And.Contain("hello from the token");

        await vault.Certificates.StartCreateCertificateAsync("tls", policy);
        var second = await vault.Certificates.GetCertificateAsync("tls");
        using (var timeout = new CancellationTokenSource(Bound))
        {
            while (await _loaded.Reader.ReadAsync(timeout.Token) != second.Properties.Version)
            {
            }
        }

        var next = await TlsProbe.GetAsync(port, trusted);

        next.Thumbprint.Should().Be(second.Properties.X509ThumbprintString).And.NotBe(first.Properties.X509ThumbprintString);
        next.Response.Should().Contain("hello from the token");

        // The vault keeps using the token beside OpenSSL's handshakes, and the server stops before the vault closes.
        (await vault.Keys.CreateEcKeyAsync(new KeyVault.Embedded.Keys.CreateEcKeyOptions("after-kestrel", hardwareProtected: true))).Key.X.Should().NotBeNull();
        await app.StopAsync();
    }
}
