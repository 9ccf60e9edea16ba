using System.Net;
using System.Security.Cryptography;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore;
using KeyVault.Embedded.AspNetCore.Rest;
using KeyVault.Embedded.Certificates;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Samples.VaultServer;

/// <summary>
/// Builds the server: the vault (<c>EmbeddedVault</c> settings), JwtBearer validating tokens signed by the operator's
/// key (issuer and audience checked), HTTPS on every URL with the vault's own certificate, the REST front. On first run
/// it issues its TLS certificate from a CA of its own in the vault (and writes that CA as PEM beside the vault, for
/// clients to trust), and turns role-based access control on with <c>--admin</c> as the administrator and the server's
/// own principal (the application, which no token names) as one too, for its background work.
/// </summary>
public static class VaultServerHost
{
    /// <summary>The command line's short names for settings.</summary>
    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--vault"] = "EmbeddedVault:Path",
        ["--root-key-file"] = "EmbeddedVault:Root:KeyFile",
        ["--root-key-env"] = "EmbeddedVault:Root:EnvironmentVariable",
        ["--token-key"] = "Tokens:PublicKeyFile",
        ["--issuer"] = "Tokens:Issuer",
        ["--audience"] = "Tokens:Audience",
        ["--admin"] = "Server:Administrator",
        ["--host-name"] = "Server:HostName",
        ["--urls"] = "Server:Urls",
        ["--certificate"] = "Server:Certificate",
    };

    /// <summary>Builds the app, not yet started.</summary>
    /// <param name="args">Arguments after <c>serve</c>.</param>
    /// <param name="configure">Changes the builder (tests set a clock or logging).</param>
    /// <returns>The app.</returns>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddEnvironmentVariables("VAULTSERVER_").AddCommandLine(args, Switches);
        configure?.Invoke(builder);
        var settings = ServerSettings.From(builder.Configuration);

        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.Audit.Enabled = true).UseHttpContextCaller();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKey = settings.LoadPublicKey(),
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                ClockSkew = TimeSpan.FromMinutes(1),
            };

            // An SDK sends one token for an hour: its ES256 signature is checked once a minute, not on every request.
            o.UseValidatedTokenCache();
        });
        builder.Services.Configure<VaultRestApiOptions>(builder.Configuration.GetSection("Rest"));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var url in settings.Urls)
            {
                if (url.StartsWith("unix:", StringComparison.Ordinal))
                {
                    kestrel.ListenUnixSocket(url["unix:".Length..]);
                    continue;
                }

                var uri = new Uri(url);
                if (uri.Scheme != Uri.UriSchemeHttps)
                {
                    throw new InvalidOperationException($"Server:Urls: '{url}' is not https:// (the vault is served over HTTPS only, or on a unix: socket).");
                }

                var address = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host.Trim('[', ']'));
                kestrel.Listen(address, uri.Port, listen => listen.UseHttpsFromVault(settings.Certificate));
            }
        });

        var app = builder.Build();
        await BootstrapAsync(app, settings).ConfigureAwait(false);
        app.MapEmbeddedVaultRestApi();
        return app;
    }

    private static async Task BootstrapAsync(WebApplication app, ServerSettings settings)
    {
        var vault = app.Services.GetRequiredService<EmbeddedVault>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VaultServer");
        var admin = new VaultPrincipal(settings.Administrator, "vault-server administrator");

        // The server holds the root key: it acts as the administrator for its own setup.
        using var scope = vault.RunAs(admin);
        if (vault.Access.Mode == VaultAuthorizationMode.None)
        {
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId).ConfigureAwait(false);
            await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac).ConfigureAwait(false);
            log.LogInformation("Role-based access control is on, with {Administrator} as Key Vault Administrator.", admin.ObjectId);
        }

        // The server's own work runs as the application principal, which no token can name: Kestrel's loading of the
        // TLS certificate and the background service (purge of what is due, key rotation, renewal of the TLS
        // certificate, expiry notices, audit retention), which needs Key Vault Administrator (purge-due and expiry are
        // vault administration). Without it every pass was refused once RBAC was on.
        if (vault.Access.Mode == VaultAuthorizationMode.Rbac
            && !(await vault.Access.GetRoleAssignmentsAsync(KeyVaultRoleScope.Global).ConfigureAwait(false)).Any(a => a.PrincipalId == VaultPrincipal.Application.ObjectId && a.RoleDefinitionId == KeyVaultRoles.Administrator.Id))
        {
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, VaultPrincipal.Application.ObjectId).ConfigureAwait(false);
            log.LogInformation("The server's own principal ({Application}) is Key Vault Administrator, for its background work.", VaultPrincipal.Application.ObjectId);
        }

        var caName = settings.Certificate + "-ca";
        var caPem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(app.Configuration["EmbeddedVault:Path"]!))!, caName + ".pem");
        if (!await ExistsAsync(vault, settings.Certificate).ConfigureAwait(false))
        {
            await vault.Certificates.StartCreateCertificateAsync(caName, new CertificatePolicy(WellKnownIssuerNames.Self, $"CN={settings.HostName} vault-server CA")
            {
                KeyType = CertificateKeyType.Ec,
                KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign },
                ValidityInMonths = 60,
            }).ConfigureAwait(false);
            await vault.Certificates.CreateIssuerAsync(new CertificateIssuer(caName) { CertificateName = caName }).ConfigureAwait(false);
            await vault.Certificates.StartCreateCertificateAsync(settings.Certificate, new CertificatePolicy(caName, $"CN={settings.HostName}", new SubjectAlternativeNames { DnsNames = { settings.HostName } })
            {
                KeyType = CertificateKeyType.Ec,
                EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
                ValidityInMonths = 12,
                LifetimeActions = { new LifetimeAction(CertificatePolicyAction.AutoRenew) { LifetimePercentage = 80 } },
            }).ConfigureAwait(false);
            log.LogInformation("Issued the TLS certificate {Certificate} for {HostName} from the vault's own CA {Ca}.", settings.Certificate, settings.HostName, caName);
        }

        if (await ExistsAsync(vault, caName).ConfigureAwait(false))
        {
            var ca = await vault.Certificates.GetCertificateAsync(caName).ConfigureAwait(false);
            await File.WriteAllTextAsync(caPem, PemEncoding.WriteString("CERTIFICATE", ca.Cer)).ConfigureAwait(false);
            log.LogInformation("Clients trust the server through {CaPem}.", caPem);
        }
    }

    private static async Task<bool> ExistsAsync(EmbeddedVault vault, string name)
    {
        try
        {
            await vault.Certificates.GetCertificateAsync(name).ConfigureAwait(false);
            return true;
        }
        catch (VaultObjectNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The server's settings, checked: each missing one named.</summary>
    internal sealed record ServerSettings(string[] Urls, string HostName, string Certificate, string Administrator, string Issuer, string Audience, string PublicKeyFile)
    {
        public static ServerSettings From(IConfiguration configuration)
        {
            var hostName = configuration["Server:HostName"] ?? "localhost";
            var administrator = configuration["Server:Administrator"] ?? throw new InvalidOperationException("Server:Administrator (--admin) is required: the object id that administers the vault.");
            var publicKey = configuration["Tokens:PublicKeyFile"] ?? throw new InvalidOperationException("Tokens:PublicKeyFile (--token-key) is required: the PEM public key that signs callers' tokens (vault-server new-signing-key makes one).");
            var dot = hostName.IndexOf('.', StringComparison.Ordinal);
            var audience = configuration["Tokens:Audience"] ?? (dot > 0 && !IPAddress.TryParse(hostName, out _) ? $"https://{hostName[(dot + 1)..]}" : $"https://{hostName}");
            var urls = (configuration["Server:Urls"] ?? "https://127.0.0.1:8443").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new ServerSettings(urls, hostName, configuration["Server:Certificate"] ?? "vault-server-tls", administrator, configuration["Tokens:Issuer"] ?? VaultServerTokens.DefaultIssuer, audience, publicKey);
        }

        public SecurityKey LoadPublicKey()
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(File.ReadAllText(PublicKeyFile));
            return new ECDsaSecurityKey(ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false)));
        }
    }
}
