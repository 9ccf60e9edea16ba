using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using KeyVault.Embedded.Samples.VaultServer;
using KeyVault.Embedded.Tests.Rest;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Tests.Samples;

/// <summary>
/// samples/VaultServer, the one-command server, as an operator sets it up without Entra ID: a token key pair of the
/// operator's, the server started on a vault file, a token minted for the administrator, the Azure SDK's SecretClient.
/// </summary>
public sealed class VaultServerSampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_operator_setup_serves_the_vault_to_the_sdk_with_tokens_of_the_operators_key()
    {
        SoftwareRootKey.CreateKeyFile(_dir.File("root.key"));
        VaultServerTokens.NewSigningKey([_dir.File("tokens.pem")], TextWriter.Null, TextWriter.Null).Should().Be(0);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(_dir.File("tokens.pem")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using var signing = ECDsa.Create();
        signing.ImportFromPem(File.ReadAllText(_dir.File("tokens.pem")));
        var admin = VaultServerTokens.Create(signing, "ops-team", "https://kve.test", TimeSpan.FromMinutes(10));
        var stranger = VaultServerTokens.Create(signing, "stranger", "https://kve.test", TimeSpan.FromMinutes(10));

        await using (var app = await StartAsync())
        {
            var client = Client(app, admin);
            await client.SetSecretAsync("served", "over-rest");
            (await client.GetSecretAsync("served")).Value.Value.Should().Be("over-rest");
            var refused = await FluentActions.Awaiting(() => Client(app, stranger).GetSecretAsync("served")).Should().ThrowAsync<RequestFailedException>();
            refused.Which.Status.Should().Be(403, "RBAC is on and the stranger holds no role");
            await app.StopAsync();
        }

        // A restart on the same file: setup is not repeated, the secret is there.
        await using (var again = await StartAsync())
        {
            (await Client(again, admin).GetSecretAsync("served")).Value.Value.Should().Be("over-rest");
            await again.StopAsync();
        }
    }

    [Fact]
    public async Task A_missing_setting_is_named_before_anything_is_written()
    {
        var start = () => VaultServerHost.BuildAsync(["--vault", _dir.File("vault.db"), "--root-key-file", _dir.File("root.key")]);

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("--admin");
        File.Exists(_dir.File("vault.db")).Should().BeFalse();
    }

    private async Task<WebApplication> StartAsync()
    {
        var app = await VaultServerHost.BuildAsync(
            ["--vault", _dir.File("vault.db"), "--root-key-file", _dir.File("root.key"), "--token-key", _dir.File("tokens.pub.pem"), "--admin", "ops-team", "--host-name", RestServer.Host, "--urls", "https://127.0.0.1:0"],
            b => b.Logging.ClearProviders());
        await app.StartAsync();
        return app;
    }

    private SecretClient Client(WebApplication app, string token)
    {
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File("vault-server-tls-ca.pem"))));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new SecretClient(new Uri($"https://{RestServer.Host}:{port}/"), new RestServer.StaticTokenCredential(token), new SecretClientOptions { Transport = new HttpClientTransport(handler), Retry = { MaxRetries = 0 } });
    }
}
