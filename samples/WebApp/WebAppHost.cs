using System.Data.Common;
using System.Net;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Secrets;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace KeyVault.Embedded.Samples.WebApp;

/// <summary>Builds the sample app; tests call this with their own settings.</summary>
public static class WebAppHost
{
    /// <summary>The demo connection string written on first run when the vault has none (no real password).</summary>
    public const string DemoConnectionString = "Server=db.internal;Database=orders;User Id=app;Password=demo-only-change-me";

    /// <summary>
    /// Builds the app: configuration from the vault, the vault's services, HTTPS with the vault's certificate, and
    /// <c>/health</c>. Creates, when missing, the sample's CA and TLS certificate and a demo connection string.
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Changes the builder before the vault is added (tests set paths, port and clock).</param>
    /// <returns>The app, not yet started.</returns>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        UseDevelopmentVaultWhenNoneIsConfigured(builder);

        // Secrets become configuration (ConnectionStrings--Orders is ConnectionStrings:Orders), reloaded when they change.
        builder.Configuration.AddEmbeddedVault();
        builder.Services.AddEmbeddedVault(builder.Configuration);
        builder.Services.AddHealthChecks().AddEmbeddedVault();

        // HTTPS with the vault's certificate and its chain, loaded when Kestrel starts; a renewed version is served from
        // the next handshake on, without a restart.
        var port = builder.Configuration.GetValue("WebApp:Port", 5443);
        var certificateName = builder.Configuration["WebApp:CertificateName"] ?? "webapp-tls";
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttpsFromVault(certificateName)));

        var app = builder.Build();
        await EnsureSampleObjectsAsync(app).ConfigureAwait(false);

        app.MapGet("/", (IConfiguration configuration) =>
        {
            // The connection string came from the vault; the app shows where it points, never its password.
            var connection = new DbConnectionStringBuilder { ConnectionString = configuration.GetConnectionString("Orders") ?? string.Empty };
            return Results.Ok(new
            {
                server = connection.TryGetValue("Server", out var server) ? server : null,
                database = connection.TryGetValue("Database", out var database) ? database : null,
                hasPassword = connection.ContainsKey("Password"),
            });
        });
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResponseWriter = async (context, report) =>
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsJsonAsync(new
                {
                    status = report.Status.ToString(),
                    checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description, e.Value.Data }),
                }).ConfigureAwait(false);
            },
        });
        return app;
    }

    private static void UseDevelopmentVaultWhenNoneIsConfigured(WebApplicationBuilder builder)
    {
        var vault = builder.Configuration.GetSection("EmbeddedVault");
        if (!string.IsNullOrEmpty(vault["Path"]))
        {
            return;
        }

        // A folder of this user's (not the shared temp folder, where another user could plant a key first), 0700.
        var folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "keyvault-embedded-webapp");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if ((File.GetUnixFileMode(folder) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0)
            {
                throw new InvalidOperationException($"The development folder {folder} is open to other users: make it 0700 or set EmbeddedVault:Path and EmbeddedVault:Root.");
            }
        }

        var keyFile = Path.Combine(folder, "development-root.key");
        if (!File.Exists(keyFile))
        {
            SoftwareRootKey.CreateKeyFile(keyFile);
        }

        Console.WriteLine($"WARNING: using a development vault in {folder} with a generated root key file (set EmbeddedVault:Path and EmbeddedVault:Root for anything real).");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = Path.Combine(folder, "vault.db"),
            ["EmbeddedVault:Root:KeyFile"] = keyFile,
        });
    }

    /// <summary>First run: a CA in the vault, the server certificate it issues, and a demo connection string.</summary>
    private static async Task EnsureSampleObjectsAsync(WebApplication app)
    {
        var vault = app.Services.GetRequiredService<EmbeddedVault>();
        var name = app.Configuration["WebApp:CertificateName"] ?? "webapp-tls";
        var logger = app.Logger;
        if (!await ExistsAsync(() => vault.Certificates.GetCertificateAsync(name)).ConfigureAwait(false))
        {
            if (!await ExistsAsync(() => vault.Certificates.GetCertificateAsync(CaName)).ConfigureAwait(false))
            {
                var ca = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=KeyVault.Embedded sample CA") { ValidityInMonths = 60 };
                ca.KeyUsage.Add(CertificateKeyUsage.KeyCertSign);
                ca.KeyUsage.Add(CertificateKeyUsage.CrlSign);
                await vault.Certificates.StartCreateCertificateAsync(CaName, ca).ConfigureAwait(false);
                await vault.Certificates.CreateIssuerAsync(new CertificateIssuer(CaName) { CertificateName = CaName }).ConfigureAwait(false);
            }

            var server = new CertificatePolicy(CaName, "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" }, IpAddresses = { "127.0.0.1" } })
            {
                ValidityInMonths = 12,
                EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
            };
            server.KeyUsage.Add(CertificateKeyUsage.DigitalSignature);
            server.KeyUsage.Add(CertificateKeyUsage.KeyEncipherment);
            server.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 30 });
            await vault.Certificates.StartCreateCertificateAsync(name, server).ConfigureAwait(false);
            logger.LogInformation("Created the server certificate '{Name}', issued by the vault's CA '{Ca}'.", name, CaName);
        }

        if (!await ExistsAsync(() => vault.Secrets.GetSecretAsync("ConnectionStrings--Orders")).ConfigureAwait(false))
        {
            await vault.Secrets.SetSecretAsync(new KeyVaultSecret("ConnectionStrings--Orders", DemoConnectionString) { Properties = { ContentType = "text/plain" } }).ConfigureAwait(false);
            logger.LogWarning("Wrote a demo connection string; set ConnectionStrings--Orders in the vault for a real one.");
        }

        var caFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(app.Configuration["EmbeddedVault:Path"]!))!, "sample-ca.pem");
        var caCertificate = await vault.Certificates.GetCertificateAsync(CaName).ConfigureAwait(false);
        await File.WriteAllTextAsync(caFile, new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE", caCertificate.Cer))).ConfigureAwait(false);
        logger.LogInformation("Clients trust the sample CA at {CaFile} (curl --cacert).", caFile);
    }

    /// <summary>The sample CA's certificate name in the vault.</summary>
    public const string CaName = "webapp-ca";

    private static async Task<bool> ExistsAsync<T>(Func<Task<T>> get)
    {
        try
        {
            await get().ConfigureAwait(false);
            return true;
        }
        catch (VaultObjectNotFoundException)
        {
            return false;
        }
    }
}
