using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore;
using KeyVault.Embedded.AspNetCore.Https;
using KeyVault.Embedded.AspNetCore.Rest;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// A real Kestrel on 127.0.0.1 serving a vault over the REST front: HTTPS with a server certificate the vault issued
/// (under a root CA of its own, which clients trust and nothing else), bearer tokens signed by an ECDSA key the test
/// holds (issuer, audience and lifetime checked by ASP.NET Core's JwtBearer), and RBAC on, with an administrator.
/// </summary>
public sealed class RestServer : IAsyncDisposable
{
    public const string Issuer = "https://tokens.kve.test";
    /// <summary>The name clients use for the server: a name under <see cref="Audience"/>, as Azure's vaults are under vault.azure.net.</summary>
    public const string Host = "vault.kve.test";
    public const string Audience = "https://kve.test";
    public static readonly VaultPrincipal Admin = new("rest-admin", "REST administrator", VaultPrincipalKind.User);

    private readonly TempDirectory _dir = new();
    private readonly ECDsa _signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private WebApplication _app = null!;

    private RestServer()
    {
    }

    public EmbeddedVault Vault { get; private set; } = null!;

    public X509Certificate2 Root { get; private set; } = null!;

    public int Port { get; private set; }

    public Uri VaultUri => new($"https://{Host}:{Port}/");

    public ECDsa SigningKey => _signing;

    /// <summary>
    /// Starts a server. <paramref name="rbac"/> false leaves access control off; <paramref name="settings"/> adds to
    /// the vault's configuration (such as <c>EmbeddedVault:Audit:Enabled</c>); <paramref name="services"/> adds to the
    /// host's services after the harness's (another authentication scheme, say).
    /// </summary>
    public static async Task<RestServer> StartAsync(Action<VaultRestApiOptions>? configure = null, TimeProvider? time = null, bool rbac = true, Action<WebApplication>? more = null, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? listen = null, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var server = new RestServer();
        await server.InitAsync(configure, time, rbac, more, listen, settings, services);
        return server;
    }

    private async Task InitAsync(Action<VaultRestApiOptions>? configure, TimeProvider? time, bool rbac, Action<WebApplication>? more, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? listen, IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection>? services)
    {
        SoftwareRootKey.CreateKeyFile(_dir.File("root.key"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = _dir.Path });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _dir.File("vault.db"),
            ["EmbeddedVault:Root:KeyFile"] = _dir.File("root.key"),
            ["EmbeddedVault:Background:Enabled"] = "false",
            ["EmbeddedVault:Audit:Enabled"] = "true",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddEmbeddedVault(builder.Configuration).UseHttpContextCaller();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,
                ValidAudience = Audience,
                IssuerSigningKey = new ECDsaSecurityKey(ECDsa.Create(_signing.ExportParameters(false))),
                ClockSkew = TimeSpan.Zero,
            };
        });
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, l => l.UseHttpsFromVault("rest-tls"));
            listen?.Invoke(kestrel);
        });
        _app = builder.Build();
        Vault = _app.Services.GetRequiredService<EmbeddedVault>();
        await CreateTlsCertificateAsync();
        if (rbac)
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);

            // Kestrel reads its certificate and its key as the application: it needs those two roles, nothing more.
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Certificate("rest-tls"), KeyVaultRoles.CertificateUser.Id, VaultPrincipal.Application.ObjectId);
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("rest-tls"), KeyVaultRoles.SecretsUser.Id, VaultPrincipal.Application.ObjectId);
            using (Vault.RunAs(Admin))
            {
                await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
            }
        }

        _app.MapEmbeddedVaultRestApi(configure);
        more?.Invoke(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("https", StringComparison.Ordinal));
        Port = new Uri(address).Port;
    }

    /// <summary>The addresses Kestrel listens on.</summary>
    public IReadOnlyList<string> Addresses => [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    /// <summary>Gives a principal a role at a scope (as the administrator).</summary>
    public async Task AssignAsync(string principalId, VaultRoleDefinition role, KeyVaultRoleScope? scope = null)
    {
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(scope ?? KeyVaultRoleScope.Global, role.Id, principalId);
        }
    }

    /// <summary>A bearer token for <paramref name="objectId"/>, signed by the server's trusted key unless another is given.</summary>
    public string Token(string objectId, string? audience = null, DateTime? expires = null, ECDsa? key = null, string? issuer = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            IssuedAt = now.AddMinutes(-2),
            NotBefore = now.AddMinutes(-2),
            Expires = expires ?? now.AddHours(1),
            Subject = new ClaimsIdentity([new Claim("oid", objectId), new Claim("name", objectId + " (test user)")]),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key ?? _signing), SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>An HttpClient that trusts only the vault's root CA, bound to a local address of its choice.</summary>
    public HttpClient Http(string? token = null, IPAddress? from = null)
    {
        var handler = Handler(from);
        var client = new HttpClient(handler) { BaseAddress = VaultUri };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public SocketsHttpHandler Handler(IPAddress? from = null)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Root);
        var handler = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } };

        // The server's name resolves to loopback here (a test's own name service), from a local address of the test's choice.
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (from is not null)
                {
                    socket.Bind(new IPEndPoint(from, 0));
                }

                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

        return handler;
    }

    public SecretClient Secrets(string objectId) =>
        new(VaultUri, new StaticTokenCredential(Token(objectId)), new SecretClientOptions { Transport = new HttpClientTransport(Handler()), Retry = { MaxRetries = 0 } });

    public Azure.Security.KeyVault.Certificates.CertificateClient Certificates(string objectId) =>
        new(VaultUri, new StaticTokenCredential(Token(objectId)), new Azure.Security.KeyVault.Certificates.CertificateClientOptions { Transport = new HttpClientTransport(Handler()), Retry = { MaxRetries = 0 } });

    /// <summary>Writes the root CA as PEM (for outside clients such as Node.js).</summary>
    public string WriteRootPem()
    {
        var path = _dir.File("root-ca.pem");
        File.WriteAllText(path, Root.ExportCertificatePem());
        return path;
    }

    public string Folder => _dir.Path;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Root?.Dispose();
        _signing.Dispose();
        _dir.Dispose();
    }

    private async Task CreateTlsCertificateAsync()
    {
        await Vault.Certificates.StartCreateCertificateAsync("rest-root-ca", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=REST Test Root CA")
        {
            KeyType = CertificateKeyType.Ec,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign },
            ValidityInMonths = 12,
        });
        await Vault.Certificates.CreateIssuerAsync(new CertificateIssuer("rest-root-ca") { CertificateName = "rest-root-ca" });
        await Vault.Certificates.StartCreateCertificateAsync("rest-tls", new CertificatePolicy("rest-root-ca", "CN=" + Host, new SubjectAlternativeNames { DnsNames = { Host, "localhost" } })
        {
            KeyType = CertificateKeyType.Ec,
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
            ValidityInMonths = 6,
        });
        Root = X509CertificateLoader.LoadCertificate((await Vault.Certificates.GetCertificateAsync("rest-root-ca")).Cer);
    }

    /// <summary>An Azure credential that hands out one token, whatever scope is asked (the challenge decides the scope).</summary>
    public sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.AddRange(requestContext.Scopes);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddMinutes(30));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
