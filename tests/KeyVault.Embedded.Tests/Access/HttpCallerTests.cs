using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Tests.Access;

/// <summary>
/// A web app on a loopback port with two users: each request runs as its authenticated user (one line,
/// <c>UseHttpContextCaller</c>), so each gets its own secret and a 403 for the other's.
/// </summary>
public sealed class HttpCallerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var path = _dir.File("vault.db");
        var key = TestVaults.NewKey();
        var admin = new VaultPrincipal("admin");
        await using (var vault = await TestVaults.OpenAsync(path, key))
        {
            await vault.Secrets.SetSecretAsync("alice-secret", "for alice");
            await vault.Secrets.SetSecretAsync("bob-secret", "for bob");
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("alice-secret"), KeyVaultRoles.SecretsUser.Id, "alice-oid");
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("bob-secret"), KeyVaultRoles.SecretsUser.Id, "bobs-team");
            using (vault.RunAs(admin))
            {
                await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("header").AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>("header", null);
        builder.Services.AddAuthorization();
        builder.Services.AddEmbeddedVault(o =>
        {
            o.Path = path;
            o.RootKey = SoftwareRootKey.FromBytes(key);
            o.Background.Enabled = false;
            o.Audit.Enabled = true;
        }).UseHttpContextCaller();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.MapGet("/secrets/{name}", async (string name, EmbeddedVault vault) =>
        {
            try
            {
                return Results.Text((await vault.Secrets.GetSecretAsync(name)).Value);
            }
            catch (VaultException ex)
            {
                return Results.Text($"{ex.ErrorCode}/{ex.InnerErrorCode}", statusCode: ex.Status);
            }
        });
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Each_user_reads_only_what_its_assignments_allow_and_an_anonymous_request_reads_nothing()
    {
        (await GetAsync("alice-oid", "alice-secret")).Should().Be((HttpStatusCode.OK, "for alice"));
        (await GetAsync("alice-oid", "bob-secret")).Should().Be((HttpStatusCode.Forbidden, "Forbidden/ForbiddenByRbac"));

        // Bob's access comes through his group claim.
        (await GetAsync("bob-oid", "bob-secret", group: "bobs-team")).Should().Be((HttpStatusCode.OK, "for bob"));
        (await GetAsync("bob-oid", "alice-secret", group: "bobs-team")).Should().Be((HttpStatusCode.Forbidden, "Forbidden/ForbiddenByRbac"));
        (await GetAsync("bob-oid", "bob-secret")).Should().Be((HttpStatusCode.Forbidden, "Forbidden/ForbiddenByRbac"), "without the group claim Bob has no assignment");

        (await GetAsync(null, "alice-secret")).Should().Be((HttpStatusCode.Forbidden, "Forbidden/ForbiddenByRbac"), "an unauthenticated request is never the application");
    }

    [Fact]
    public async Task A_requests_audit_record_names_its_user_remote_address_and_user_agent()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/secrets/alice-secret"))
        {
            request.Headers.Add("X-Test-User", "alice-oid");
            request.Headers.UserAgent.ParseAdd("audit-test/1.0");
            using var response = await _client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var vault = _app.Services.GetRequiredService<EmbeddedVault>();
        IReadOnlyList<KeyVault.Embedded.Audit.VaultAuditEvent> events;
        using (vault.RunAs(new VaultPrincipal("admin")))
        {
            events = await vault.GetAuditEventsAsync(new KeyVault.Embedded.Audit.AuditQuery { OperationName = "SecretGet" });
        }

        var record = events.Should().ContainSingle().Subject;
        record.Identity.ObjectId.Should().Be("alice-oid");
        record.CallerIpAddress.Should().Be("127.0.0.1");
        record.Properties.ClientInfo.Should().Be("audit-test/1.0");
    }

    [Fact]
    public void Claims_map_as_Azure_reads_a_token()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("oid", "u-1"), new Claim("sub", "s-1"), new Claim("name", "Una"), new Claim("scp", "user_impersonation"), new Claim("groups", "g-1"), new Claim("groups", "g-2")], "test"));
        var principal = HttpContextVaultCallerAccessor.FromClaims(user);
        (principal.ObjectId, principal.DisplayName, principal.Kind).Should().Be(("u-1", "Una", VaultPrincipalKind.User));
        principal.Groups.Should().Equal("g-1", "g-2");

        var app = HttpContextVaultCallerAccessor.FromClaims(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "sp-1"), new Claim("azp", "client-1")], "test")));
        (app.ObjectId, app.DisplayName, app.Kind).Should().Be(("sp-1", "client-1", VaultPrincipalKind.Application));

        HttpContextVaultCallerAccessor.FromClaims(new ClaimsPrincipal(new ClaimsIdentity())).Should().BeSameAs(HttpContextVaultCallerAccessor.Anonymous);
    }

    private async Task<(HttpStatusCode, string)> GetAsync(string? user, string secret, string? group = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/secrets/{secret}");
        if (user is not null)
        {
            request.Headers.Add("X-Test-User", user);
        }

        if (group is not null)
        {
            request.Headers.Add("X-Test-Group", group);
        }

        using var response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Authenticates a request from test headers, as a bearer-token handler would from a token's claims.</summary>
    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue("X-Test-User", out var user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = new List<Claim> { new("oid", user.ToString()), new("name", user.ToString()), new("scp", "user_impersonation") };
            if (Request.Headers.TryGetValue("X-Test-Group", out var group))
            {
                claims.Add(new Claim("groups", group.ToString()));
            }

            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name)));
        }
    }
}
