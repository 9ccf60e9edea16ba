using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Samples.VaultServer;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

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

    [Fact]
    public async Task A_patch_without_a_version_needs_only_the_update_right_as_in_azure_and_reads_nothing_as_the_caller()
    {
        // A writer that may set and update secrets, keys and certificates but read none of them (a rotation pipeline).
        _server = await RestServer.StartAsync();
        var writer = new VaultRoleDefinition(Guid.NewGuid().ToString(), "Writer", "Sets and updates, reads nothing.",
            ["Microsoft.KeyVault/vaults/secrets/setSecret/action", "Microsoft.KeyVault/vaults/secrets/update/action", "Microsoft.KeyVault/vaults/keys/update/action", "Microsoft.KeyVault/vaults/certificates/update/action"]);
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await _server.Vault.Access.CreateOrUpdateRoleDefinitionAsync(writer);
            await _server.Vault.Secrets.SetSecretAsync("db-password", "s3cret");
            await _server.Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
            await _server.Vault.Certificates.StartCreateCertificateAsync("web", CertificatePolicy.Default);
        }

        await _server.AssignAsync("pipeline", writer);
        using var client = _server.Http(_server.Token("pipeline"));

        using var secret = await client.PatchAsJsonAsync("secrets/db-password" + Version, new { tags = new { rotated = "yes" } });
        using var key = await client.PatchAsJsonAsync("keys/signing" + Version, new { tags = new { rotated = "yes" } });
        using var certificate = await client.PatchAsJsonAsync("certificates/web" + Version, new { tags = new { rotated = "yes" } });

        secret.StatusCode.Should().Be(HttpStatusCode.OK, await secret.Content.ReadAsStringAsync());
        key.StatusCode.Should().Be(HttpStatusCode.OK, await key.Content.ReadAsStringAsync());
        certificate.StatusCode.Should().Be(HttpStatusCode.OK, await certificate.Content.ReadAsStringAsync());
        IReadOnlyList<VaultAuditEvent> events;
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            (await _server.Vault.Secrets.GetSecretAsync("db-password")).Properties.Tags.Should().ContainKey("rotated");
            events = await _server.Vault.GetAuditEventsAsync(new AuditQuery { PrincipalId = "pipeline" });
        }

        events.Select(e => e.OperationName).Should().BeEquivalentTo(["SecretUpdate", "KeyUpdate", "CertificateUpdate"], "the trail says the writer read no value");
    }

    [Fact]
    public async Task A_secret_disabled_at_its_current_version_is_enabled_again_by_a_patch_without_a_version()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        using var client = _server.Http(_server.Token("app"));
        (await client.PutAsJsonAsync("secrets/paused" + Version, new { value = "v", attributes = new { enabled = false } })).EnsureSuccessStatusCode();

        using var enabled = await client.PatchAsJsonAsync("secrets/paused" + Version, new { attributes = new { enabled = true } });

        enabled.StatusCode.Should().Be(HttpStatusCode.OK, await enabled.Content.ReadAsStringAsync());
        (await client.GetAsync("secrets/paused" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("", "{\"policy\": {\"x509_props\": {\"validity_months\": 7}}, \"attributes\": {\"exp\": \"tomorrow\"}}", HttpStatusCode.BadRequest)]
    [InlineData("", "{\"policy\": {\"x509_props\": {\"validity_months\": 7}}, \"tags\": [\"not\", \"an object\"]}", HttpStatusCode.BadRequest)]
    [InlineData("", "{\"policy\": {\"x509_props\": {\"validity_months\": 7}}, \"attributes\": {\"exp\": 4102444800}}", HttpStatusCode.BadRequest)]
    [InlineData("/00000000000000000000000000000000", "{\"policy\": {\"x509_props\": {\"validity_months\": 7}}}", HttpStatusCode.NotFound)]
    public async Task A_refused_certificate_patch_leaves_its_policy_as_it_was(string version, string body, HttpStatusCode refusal)
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app", KeyVaultRoles.CertificatesOfficer);
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await _server.Vault.Certificates.StartCreateCertificateAsync("web", CertificatePolicy.Default);
        }

        using var client = _server.Http(_server.Token("app"));
        var before = await client.GetStringAsync("certificates/web/policy" + Version);

        using var refused = await client.PatchAsync("certificates/web" + version + Version, new StringContent(body, Encoding.UTF8, "application/json"));

        refused.StatusCode.Should().Be(refusal);
        (await client.GetStringAsync("certificates/web/policy" + Version)).Should().Be(before, "a refused request changes nothing");
    }

    [Fact]
    public async Task Certificates_that_make_a_key_count_against_the_key_creation_limit()
    {
        // Each certificate create makes a key pair (an RSA-4096 one takes a CPU for a while): counted only as a vault
        // transaction (4,000 per window), it was a way around the 10 key creations per window.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _server = await RestServer.StartAsync(o => o.Throttling.KeyCreations = 2, time);
        await _server.AssignAsync("app", KeyVaultRoles.CertificatesOfficer);
        using var client = _server.Http(_server.Token("app"));
        var create = new StringContent("{\"policy\": {\"key_props\": {\"kty\": \"RSA\", \"key_size\": 2048}, \"x509_props\": {\"subject\": \"CN=many\"}, \"issuer\": {\"name\": \"Self\"}}}", Encoding.UTF8, "application/json");

        using var first = await client.PostAsync("certificates/one/create" + Version, create);
        using var second = await client.PostAsync("certificates/two/create" + Version, create);
        using var third = await client.PostAsync("certificates/three/create" + Version, create);
        using var imported = await client.PostAsJsonAsync("certificates/four/import" + Version, new { value = "AAAA" });
        using var restored = await client.PostAsJsonAsync("certificates/restore" + Version, new { value = "AAAA" });

        first.StatusCode.Should().Be(HttpStatusCode.Accepted);
        second.StatusCode.Should().Be(HttpStatusCode.Accepted);
        third.StatusCode.Should().Be((HttpStatusCode)429);
        imported.StatusCode.Should().Be((HttpStatusCode)429, "an import makes the certificate's key too");
        restored.StatusCode.Should().Be((HttpStatusCode)429, "as a key restore does");
        (await RestProtocolTests.ErrorAsync(third)).Code.Should().Be("Throttled");
    }

    [Fact]
    public async Task The_vault_server_background_work_runs_under_the_rbac_its_bootstrap_turned_on()
    {
        // vault-server turns RBAC on at first run; its background service (purge of what is due, renewal of its own TLS
        // certificate at 80% of its life, expiry notices) runs as the configured background principal.
        using var dir = new TempDirectory();
        SoftwareRootKey.CreateKeyFile(dir.File("root.key"));
        VaultServerTokens.NewSigningKey([dir.File("tokens.pem")], TextWriter.Null, TextWriter.Null).Should().Be(0);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await VaultServerHost.BuildAsync(
            ["--vault", dir.File("vault.db"), "--root-key-file", dir.File("root.key"), "--token-key", dir.File("tokens.pub.pem"), "--admin", "ops-team", "--host-name", RestServer.Host, "--urls", "https://127.0.0.1:0"],
            b =>
            {
                b.Logging.ClearProviders();
                b.Services.AddSingleton<TimeProvider>(time);
            });
        var vault = app.Services.GetRequiredService<EmbeddedVault>();
        using (vault.RunAs(new VaultPrincipal("ops-team", "operator")))
        {
            await vault.Secrets.SetSecretAsync("retired", "v");
            await vault.Secrets.StartDeleteSecretAsync("retired");
        }

        time.Advance(TimeSpan.FromDays(300));
        var background = app.Services.GetRequiredService<IOptions<EmbeddedVaultOptions>>().Value.Background;
        var pass = await new BackgroundPass(NullLogger.Instance, background.NearExpiryWindow, background.Principal).RunAsync(vault, default);

        pass.Failures.Should().Be(0, "every step of the pass may do its work");
        pass.Renewed.Should().Be(1, "the TLS certificate is past 80% of its 12 months");
        pass.Purged.Should().Be(1, "the deleted secret's 90 days are over");
    }

    [Fact]
    public async Task A_response_carrying_a_secret_value_or_a_plaintext_may_not_be_stored_by_any_cache()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        await _server.AssignAsync("app", KeyVaultRoles.CryptoOfficer);
        using var client = _server.Http(_server.Token("app"));
        (await client.PutAsJsonAsync("secrets/db" + Version, new { value = "s3cret" })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("keys/wrapping/create" + Version, new { kty = "oct", key_size = 256 })).EnsureSuccessStatusCode();
        using var encrypted = System.Text.Json.JsonDocument.Parse(await (await client.PostAsJsonAsync("keys/wrapping/encrypt" + Version, new { alg = "A256CBCPAD", value = "c2VjcmV0", iv = "AAECAwQFBgcICQoLDA0ODw" })).Content.ReadAsStringAsync());

        using var secret = await client.GetAsync("secrets/db" + Version);
        using var plaintext = await client.PostAsJsonAsync("keys/wrapping/decrypt" + Version, new { alg = "A256CBCPAD", value = encrypted.RootElement.GetProperty("value").GetString(), iv = "AAECAwQFBgcICQoLDA0ODw" });
        using var refused = await client.GetAsync("secrets/missing" + Version);

        foreach (var response in new[] { secret, plaintext, refused })
        {
            response.Headers.CacheControl.Should().NotBeNull();
            response.Headers.CacheControl!.NoStore.Should().BeTrue($"{response.RequestMessage!.RequestUri} says no-store");
        }

        plaintext.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
