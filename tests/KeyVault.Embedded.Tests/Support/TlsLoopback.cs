using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>A TLS server on 127.0.0.1 (SslStream) and a client that trusts only a given root: one handshake and one exchange.</summary>
public static class TlsLoopback
{
    /// <summary>Client options for host <c>localhost</c> that trust <paramref name="root"/> and nothing else.</summary>
    public static SslClientAuthenticationOptions TrustOnly(X509Certificate2 root)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        return new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy };
    }

    /// <summary>
    /// Serves <paramref name="certificate"/>, connects a client with <paramref name="clientOptions"/>, sends "ping" and
    /// returns what the server answered ("pong") and the certificate the client saw.
    /// </summary>
    /// <exception cref="AuthenticationException">The client refused the server.</exception>
    public static async Task<(byte[] Answer, byte[] ServerCertificate)> ExchangeAsync(X509Certificate2 certificate, SslClientAuthenticationOptions clientOptions)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
                var buffer = new byte[4];
                await tls.ReadExactlyAsync(buffer);
                await tls.WriteAsync("pong"u8.ToArray());
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                // The client refused the server (with TLS 1.3 the server may finish its side first): the client reports it.
            }
        });

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            await using var stream = new SslStream(client.GetStream());
            await stream.AuthenticateAsClientAsync(clientOptions);
            await stream.WriteAsync("ping"u8.ToArray());
            var answer = new byte[4];
            await stream.ReadExactlyAsync(answer);
            return (answer, stream.RemoteCertificate!.GetRawCertData());
        }
        finally
        {
            await server;
        }
    }
}
