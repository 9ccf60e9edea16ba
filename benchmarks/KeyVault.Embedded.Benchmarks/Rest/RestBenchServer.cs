using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore;
using KeyVault.Embedded.AspNetCore.Https;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Benchmarks.Rest;

/// <summary>
/// Two Kestrel servers on 127.0.0.1, each with one HTTPS listener holding the vault's own server certificate (issued by
/// a root CA in the vault): the vault's REST front (<c>MapEmbeddedVaultRestApi</c>, bearer ES256 tokens validated by
/// JwtBearer, RBAC on, throttling off), and a bare one with nothing but two endpoints on the same paths that answer
/// with bytes captured from the REST front (same body, same content type): no authentication services, no middleware,
/// no vault. The bare server gets the same request bytes (token included) and ignores them. The REST host also serves
/// those bytes under <c>/bare/</c>: a bare endpoint behind the host's default pipeline (its authentication middleware
/// finds no token there), to tell what the host costs from what the front does.
/// </summary>
internal sealed class RestBenchServer : IAsyncDisposable
{
    public const string Host = "vault.bench.test";
    public const string Issuer = "https://tokens.bench.test";
    public const string Audience = "https://bench.test";
    public const string ApiVersion = "7.6";
    public const string SecretName = "bench-secret";
    public const string KeyName = "bench-signer";
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>The principal the client's token names: SecretsUser on the secret, CryptoUser on the key.</summary>
    public const string AppObjectId = "bench-app";

    private static readonly VaultPrincipal Admin = new("bench-admin", "benchmark administrator", VaultPrincipalKind.User);

    private readonly BenchmarkFolder _folder = new();
    private readonly ECDsa _tokenKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private WebApplication _app = null!;
    private WebApplication _bare = null!;

    private RestBenchServer()
    {
    }

    public X509Certificate2 Root { get; private set; } = null!;

    public int Port { get; private set; }

    /// <summary>The app's services (the vault, the token validation).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The bare server's port on 127.0.0.1.</summary>
    public int BarePort { get; private set; }

    public Uri BaseUri => new($"https://{Host}:{Port}/");

    /// <summary>The version of the signing key (the sign route names it).</summary>
    public string KeyVersion { get; private set; } = null!;

    /// <summary>What the REST front answered to the secret GET, replayed by <c>/bare/secrets/{name}</c>.</summary>
    public byte[] SecretResponse { get; set; } = [];

    /// <summary>What the REST front answered to the sign, replayed by <c>/bare/keys/{name}/{version}/sign</c>.</summary>
    public byte[] SignResponse { get; set; } = [];

    /// <summary>Starts the server; <paramref name="tokenCache"/> puts JwtBearer's handler behind the validated-token cache.</summary>
    public static async Task<RestBenchServer> StartAsync(bool tokenCache)
    {
        var server = new RestBenchServer();
        await server.InitAsync(tokenCache).ConfigureAwait(false);
        return server;
    }

    private async Task InitAsync(bool tokenCache)
    {
        SoftwareRootKey.CreateKeyFile(_folder.File("root.key"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = _folder.Path });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _folder.File("vault.db"),
            ["EmbeddedVault:Root:KeyFile"] = _folder.File("root.key"),
            ["EmbeddedVault:Background:Enabled"] = "false",
            ["EmbeddedVault:Audit:Enabled"] = "true", // as the sample server: every request leaves a record
        });
        builder.Logging.ClearProviders();
        builder.Services.AddEmbeddedVault(builder.Configuration).UseHttpContextCaller();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,
                ValidAudience = Audience,
                IssuerSigningKey = new ECDsaSecurityKey(ECDsa.Create(_tokenKey.ExportParameters(false))) { KeyId = "bench-es256" },
                ClockSkew = TimeSpan.Zero,
            };
            if (tokenCache)
            {
                o.UseValidatedTokenCache();
            }
        });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            l.UseHttpsFromVault("rest-tls");
        }));
        _app = builder.Build();

        var vault = _app.Services.GetRequiredService<EmbeddedVault>();
        await CreateTlsCertificateAsync(vault).ConfigureAwait(false);
        await vault.Secrets.SetSecretAsync(SecretName, new string('v', 100)).ConfigureAwait(false);
        KeyVersion = (await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions(KeyName)).ConfigureAwait(false)).Properties.Version!;

        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId).ConfigureAwait(false);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Certificate("rest-tls"), KeyVaultRoles.CertificateUser.Id, VaultPrincipal.Application.ObjectId).ConfigureAwait(false);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("rest-tls"), KeyVaultRoles.SecretsUser.Id, VaultPrincipal.Application.ObjectId).ConfigureAwait(false);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret(SecretName), KeyVaultRoles.SecretsUser.Id, AppObjectId).ConfigureAwait(false);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Key(KeyName), KeyVaultRoles.CryptoUser.Id, AppObjectId).ConfigureAwait(false);
        using (vault.RunAs(Admin))
        {
            await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac).ConfigureAwait(false);
        }

        // Azure's limits (400 secret and 200 key transactions a second) would cap what is measured.
        _app.MapEmbeddedVaultRestApi(o => o.Throttling.Enabled = false);

        // A bare endpoint in the REST host: its default pipeline, no token, no vault, no JSON.
        MapBare(_app, "/bare");

        await _app.StartAsync().ConfigureAwait(false);
        Port = PortOf(_app);

        // The baseline: Kestrel with the same certificate, paths and response bytes; no authentication, no vault, no JSON.
        var tls = await vault.Certificates.DownloadCertificateAsync("rest-tls").ConfigureAwait(false);
        var bare = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = _folder.Path });
        bare.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            l.UseHttps(tls);
        }));
        bare.Services.AddRoutingCore();
        _bare = bare.Build();
        _bare.UseRouting();
        MapBare(_bare, string.Empty);
        await _bare.StartAsync().ConfigureAwait(false);
        BarePort = PortOf(_bare);
    }

    /// <summary>The two endpoints that answer with the REST front's bytes, under <paramref name="prefix"/>.</summary>
    private void MapBare(WebApplication app, string prefix)
    {
        app.MapGet(prefix + "/secrets/{name}", context => WriteAsync(context, SecretResponse));
        app.MapPost(prefix + "/keys/{name}/{version}/sign", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, SignResponse).ConfigureAwait(false);
        });
    }

    private static int PortOf(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("https", StringComparison.Ordinal))).Port;

    private static Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = JsonContentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// A bearer token for <see cref="AppObjectId"/>, valid for a day, ES256 (as the tests' tokens).
    /// </summary>
    public string Token()
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.AddMinutes(-2),
            NotBefore = now.AddMinutes(-2),
            Expires = now.AddDays(1),
            Subject = new ClaimsIdentity([new Claim("oid", AppObjectId), new Claim("name", "benchmark client")]),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_tokenKey) { KeyId = "bench-es256" }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>
    /// An HttpClient over keep-alive HTTP/1.1 to the REST front (or to the bare server) that trusts only the vault's root
    /// CA and sends the bearer token (if any) on every request; the server's name resolves to 127.0.0.1.
    /// </summary>
    public HttpClient Client(string? token, bool bare = false)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Root);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        var client = new HttpClient(handler)
        {
            BaseAddress = bare ? new Uri($"https://{Host}:{BarePort}/") : BaseUri,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _bare.StopAsync().ConfigureAwait(false);
        await _bare.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Root?.Dispose();
        _tokenKey.Dispose();
        _folder.Dispose();
    }

    private async Task CreateTlsCertificateAsync(EmbeddedVault vault)
    {
        await vault.Certificates.StartCreateCertificateAsync("rest-root-ca", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Benchmark Root CA")
        {
            KeyType = CertificateKeyType.Ec,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign },
            ValidityInMonths = 12,
        }).ConfigureAwait(false);
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("rest-root-ca") { CertificateName = "rest-root-ca" }).ConfigureAwait(false);
        await vault.Certificates.StartCreateCertificateAsync("rest-tls", new CertificatePolicy("rest-root-ca", "CN=" + Host, new SubjectAlternativeNames { DnsNames = { Host, "localhost" } })
        {
            KeyType = CertificateKeyType.Ec,
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
            ValidityInMonths = 6,
        }).ConfigureAwait(false);
        Root = X509CertificateLoader.LoadCertificate((await vault.Certificates.GetCertificateAsync("rest-root-ca").ConfigureAwait(false)).Cer);
    }
}
