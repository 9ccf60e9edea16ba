using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// A TLS client for a server on 127.0.0.1 that trusts one root only, with no certificate downloads (so a chain builds
/// only from what the server sent): one handshake, one HTTP/1.1 request, and what the server presented.
/// </summary>
public static class TlsProbe
{
    /// <summary>What one handshake showed: the leaf, the certificates the server sent besides it, and the answer.</summary>
    public sealed record Result(string Thumbprint, IReadOnlyList<string> SentThumbprints, IReadOnlyList<string> ChainThumbprints, string Response);

    /// <summary>Connects, validates against <paramref name="root"/> only (throws when the chain does not build) and GETs <paramref name="path"/>.</summary>
    public static async Task<Result> GetAsync(int port, X509Certificate2 root, string path = "/hello")
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(root);
        string? thumbprint = null;
        List<string> sent = [];
        List<string> chainSeen = [];
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            CertificateChainPolicy = policy,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                thumbprint = (certificate as X509Certificate2)?.Thumbprint ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()).Thumbprint);

                // SslStream puts the certificates the server sent into the chain's extra store.
                sent.AddRange(chain!.ChainPolicy.ExtraStore.Select(c => c.Thumbprint).Where(t => t != thumbprint));
                chainSeen.AddRange(chain.ChainElements.Select(e => e.Certificate.Thumbprint));
                return errors == SslPolicyErrors.None;
            },
        });

        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        await tls.WriteAsync(request);
        using var reader = new StreamReader(tls, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        return new Result(thumbprint!, sent, chainSeen, response);
    }
}
