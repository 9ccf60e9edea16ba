using System.Net;
using System.Security.Claims;
using System.Text;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// The REST front attacked: each test is a request an attacker (on the network, with a narrow token, or choosing
/// headers, paths and bodies) sends, and what the front must not let it do.
/// </summary>
public sealed class RestAttackTests : IAsyncDisposable
{
    private const string Version = "?api-version=7.6";
    private RestServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_browser_session_of_a_cookie_default_scheme_is_no_caller_so_a_cross_site_form_post_gets_401()
    {
        // A host whose UI signs users in with cookies (its default scheme) and which maps the REST front without naming
        // the bearer scheme: a page elsewhere posts a form (text/plain, no preflight) with the user's cookie.
        _server = await RestServer.StartAsync(
            services: s =>
            {
                s.AddAuthentication().AddCookie("Cookies");
                s.Configure<AuthenticationOptions>(o => o.DefaultScheme = "Cookies");
            },
            more: app => app.MapGet("/login", (HttpContext context) => context.SignInAsync("Cookies", new ClaimsPrincipal(new ClaimsIdentity([new Claim("oid", "browser-user"), new Claim("name", "browser user")], "Cookies")))));
        await _server.AssignAsync("browser-user", KeyVaultRoles.CryptoOfficer);
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await _server.Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
        }

        using var browser = _server.Http();
        (await browser.GetAsync("login")).EnsureSuccessStatusCode();

        using var forged = await browser.PostAsync("keys/signing/rotate" + Version, new StringContent("{}", Encoding.UTF8, "text/plain"));

        forged.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "only an Authorization: Bearer header makes a caller, never a cookie");
        (await RestProtocolTests.ErrorAsync(forged)).Message.Should().StartWith("AKV10000");
        forged.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            (await _server.Vault.Keys.GetPropertiesOfKeyVersionsAsync("signing").CountAsync()).Should().Be(1, "nothing was rotated");
        }
    }
}
