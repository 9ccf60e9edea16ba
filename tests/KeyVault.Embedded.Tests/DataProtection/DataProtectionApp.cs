using System.Net;
using System.Security.Claims;
using KeyVault.Embedded.AspNetCore;
using KeyVault.Embedded.PostgreSql;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Tests.DataProtection;

/// <summary>
/// A real ASP.NET Core app on Kestrel (127.0.0.1) whose Data Protection key ring is in the vault and wrapped by the
/// vault key <c>dp-wrap</c>: <c>/login</c> issues an auth cookie, <c>/me</c> reads it, <c>/form</c> issues an
/// antiforgery token and validates it on POST.
/// </summary>
public sealed class DataProtectionApp : IAsyncDisposable
{
    public const string WrapKey = "dp-wrap";
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private DataProtectionApp(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };
    }

    public EmbeddedVault Vault => _app.Services.GetRequiredService<EmbeddedVault>();

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the app on a vault file, or on a PostgreSQL vault when a connection string is given.</summary>
    public static async Task<DataProtectionApp> StartAsync(string folder, string? postgreSql = null, Func<EmbeddedVault, Task>? before = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = folder });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = postgreSql is null ? Path.Combine(folder, "vault.db") : null,
            ["EmbeddedVault:Root:KeyFile"] = Path.Combine(folder, "root.key"),
            ["EmbeddedVault:Background:Enabled"] = "false",
            ["EmbeddedVault:Audit:Enabled"] = "true",
        });
        builder.Logging.ClearProviders();
        var vault = builder.Services.AddEmbeddedVault(builder.Configuration).UseHttpContextCaller();
        if (postgreSql is not null)
        {
            vault.UsePostgreSql(postgreSql);
        }

        builder.Services.AddDataProtection().SetApplicationName("dp-test").PersistKeysToEmbeddedVault().ProtectKeysWithEmbeddedVault(WrapKey);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddAntiforgery(o => o.HeaderName = "X-CSRF");
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        if (before is not null)
        {
            await before(app.Services.GetRequiredService<EmbeddedVault>());
        }

        app.MapGet("/login", async context =>
        {
            await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "alice")], CookieAuthenticationDefaults.AuthenticationScheme)));
        });
        app.MapGet("/me", async context =>
        {
            var result = await context.AuthenticateAsync();
            if (!result.Succeeded)
            {
                context.Response.StatusCode = 401;
                return;
            }

            await context.Response.WriteAsync(result.Principal!.Identity!.Name!);
        });
        app.MapGet("/form", async context =>
        {
            var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
            await context.Response.WriteAsync(tokens.RequestToken!);
        });
        app.MapPost("/form", async context =>
        {
            try
            {
                await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
                await context.Response.WriteAsync("valid");
            }
            catch (AntiforgeryValidationException)
            {
                context.Response.StatusCode = 400;
            }
        });
        await app.StartAsync();
        return new DataProtectionApp(app);
    }

    /// <summary>Sends a request with the given cookies; returns the status, the body and the cookies it set.</summary>
    public async Task<(HttpStatusCode Status, string Body, List<string> Cookies)> SendAsync(HttpMethod method, string path, IEnumerable<string>? cookies = null, string? csrf = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (cookies is not null && cookies.Any())
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies));
        }

        if (csrf is not null)
        {
            request.Headers.Add("X-CSRF", csrf);
        }

        using var response = await _client.SendAsync(request);
        var set = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]).ToList() : [];
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), set);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
