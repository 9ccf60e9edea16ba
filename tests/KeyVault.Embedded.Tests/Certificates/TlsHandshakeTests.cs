using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>
/// A TLS server on 127.0.0.1 with a certificate downloaded from the vault, issued by the vault's CA; the client trusts
/// only that CA. Runs on the real clock: the handshake checks validity against it.
/// </summary>
public sealed class TlsHandshakeTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private EmbeddedVault _vault = null!;

    public async Task InitializeAsync() => _vault = await TestVaults.OpenAsync(_dir.File("vault.db"), TestVaults.NewKey(), TimeProvider.System);

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("RSA")]
    [InlineData("EC")]
    public async Task A_client_that_trusts_the_vault_ca_completes_a_handshake(string keyType)
    {
        var (root, server) = await IssueServerCertificateAsync(keyType);

        var (answer, seen) = await TlsLoopback.ExchangeAsync(server, TlsLoopback.TrustOnly(root));

        answer.Should().Equal("pong"u8.ToArray());
        seen.Should().Equal(server.RawData);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_vault_ca_refuses_the_server()
    {
        var (_, server) = await IssueServerCertificateAsync("RSA");
        var stranger = await _vault.Certificates.StartCreateCertificateAsync("stranger-ca", CaPolicy("CN=Stranger CA"));
        using var strangerRoot = X509CertificateLoader.LoadCertificate(stranger.Value!.Cer);

        await FluentActions.Awaiting(() => TlsLoopback.ExchangeAsync(server, TlsLoopback.TrustOnly(strangerRoot))).Should().ThrowAsync<AuthenticationException>();
    }

    private async Task<(X509Certificate2 Root, X509Certificate2 Server)> IssueServerCertificateAsync(string keyType)
    {
        var root = await _vault.Certificates.StartCreateCertificateAsync("tls-root", CaPolicy("CN=Vault TLS Root"));
        await _vault.Certificates.CreateIssuerAsync(new CertificateIssuer("tls-root") { CertificateName = "tls-root" });
        var policy = new CertificatePolicy("tls-root", "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" }, IpAddresses = { "127.0.0.1" } })
        {
            KeyType = new CertificateKeyType(keyType),
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
        };
        await _vault.Certificates.StartCreateCertificateAsync("tls-server", policy);
        var server = await _vault.Certificates.DownloadCertificateAsync("tls-server");
        server.HasPrivateKey.Should().BeTrue();
        return (X509CertificateLoader.LoadCertificate(root.Value!.Cer), server);
    }

    private static CertificatePolicy CaPolicy(string subject) => new(WellKnownIssuerNames.Self, subject)
    {
        KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.DigitalSignature },
    };
}
