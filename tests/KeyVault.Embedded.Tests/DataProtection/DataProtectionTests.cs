using System.Net;
using System.Security.Cryptography;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace KeyVault.Embedded.Tests.DataProtection;

/// <summary>
/// <c>PersistKeysToEmbeddedVault()</c> and <c>ProtectKeysWithEmbeddedVault("dp-wrap")</c> in a real app: an auth
/// cookie and an antiforgery token still validate after a restart; the key ring at rest is sealed secrets whose
/// elements are wrapped by the vault key; a removed wrap key is an error that names it; access control and audit apply.
/// </summary>
public sealed class DataProtectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public DataProtectionTests() => SoftwareRootKey.CreateKeyFile(_dir.File("root.key"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_auth_cookie_and_an_antiforgery_token_still_validate_after_the_app_restarts()
    {
        List<string> auth, forgery;
        string token;
        await using (var first = await DataProtectionApp.StartAsync(_dir.Path, before: CreateWrapKeyAsync))
        {
            auth = (await first.SendAsync(HttpMethod.Get, "/login")).Cookies;
            var form = await first.SendAsync(HttpMethod.Get, "/form");
            (token, forgery) = (form.Body, form.Cookies);
            (await first.SendAsync(HttpMethod.Get, "/me", auth)).Body.Should().Be("alice");
            (await first.SendAsync(HttpMethod.Post, "/form", forgery, token)).Status.Should().Be(HttpStatusCode.OK);
        }

        await using var second = await DataProtectionApp.StartAsync(_dir.Path);

        var me = await second.SendAsync(HttpMethod.Get, "/me", auth);
        me.Status.Should().Be(HttpStatusCode.OK);
        me.Body.Should().Be("alice");
        (await second.SendAsync(HttpMethod.Post, "/form", forgery, token)).Body.Should().Be("valid");
        (await second.SendAsync(HttpMethod.Post, "/form", forgery, token + "x")).Status.Should().Be(HttpStatusCode.BadRequest, "a changed token does not validate");
        (await second.SendAsync(HttpMethod.Get, "/me", ["forged=1"])).Status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_key_ring_is_a_set_of_secrets_whose_elements_are_wrapped_by_the_vault_key()
    {
        await using var app = await DataProtectionApp.StartAsync(_dir.Path, before: CreateWrapKeyAsync);
        await app.SendAsync(HttpMethod.Get, "/login");

        var ring = new List<string>();
        await foreach (var properties in app.Vault.Secrets.GetPropertiesOfSecretsAsync())
        {
            if (properties.Name.StartsWith("DataProtection-", StringComparison.Ordinal))
            {
                properties.ContentType.Should().Be("application/xml");
                ring.Add((await app.Vault.Secrets.GetSecretAsync(properties.Name)).Value);
            }
        }

        var element = ring.Should().ContainSingle().Subject;
        element.Should().Contain("<encryptedKey").And.Contain($"/keys/{DataProtectionApp.WrapKey}/").And.Contain("<alg>RSA-OAEP-256</alg>");
        element.Should().NotContain("<masterKey", "the key's material is only inside the wrapped, encrypted element");
    }

    [Fact]
    public async Task A_removed_wrap_key_makes_the_ring_unreadable_with_an_error_that_names_it()
    {
        byte[] protectedPayload;
        await using (var first = await DataProtectionApp.StartAsync(_dir.Path, before: CreateWrapKeyAsync))
        {
            protectedPayload = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Protect("hello"u8.ToArray());
            await (await first.Vault.Keys.StartDeleteKeyAsync(DataProtectionApp.WrapKey)).WaitForCompletionAsync();
            await first.Vault.Keys.PurgeDeletedKeyAsync(DataProtectionApp.WrapKey);
        }

        await using var second = await DataProtectionApp.StartAsync(_dir.Path);
        var unprotect = () => second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Unprotect(protectedPayload);

        var error = unprotect.Should().Throw<CryptographicException>().Which;
        Chain(error).Should().Contain(m => m.Contains($"'{DataProtectionApp.WrapKey}'", StringComparison.Ordinal) && m.Contains("not found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Access_control_decides_and_the_audit_trail_records_the_key_rings_use_of_the_key()
    {
        var ringPrincipal = VaultPrincipal.Application;
        await using (var app = await DataProtectionApp.StartAsync(_dir.Path, before: async vault =>
        {
            await CreateWrapKeyAsync(vault);
            var admin = new VaultPrincipal("dp-admin");
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsOfficer.Id, ringPrincipal.ObjectId);
            using (vault.RunAs(admin))
            {
                await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
            }
        }))
        {
            // The ring may keep its secrets but not use the key: protecting fails, and the refusal is audited.
            var protect = () => app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Protect("x"u8.ToArray());
            Chain(protect.Should().Throw<Exception>().Which).Should().Contain(m => m.Contains("keys/read", StringComparison.Ordinal) || m.Contains("keys/wrap", StringComparison.Ordinal));

            using (app.Vault.RunAs(new VaultPrincipal("dp-admin")))
            {
                await app.Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Key(DataProtectionApp.WrapKey), KeyVaultRoles.CryptoServiceEncryptionUser.Id, ringPrincipal.ObjectId);
            }
        }

        await using var granted = await DataProtectionApp.StartAsync(_dir.Path);
        var cookie = (await granted.SendAsync(HttpMethod.Get, "/login")).Cookies;
        (await granted.SendAsync(HttpMethod.Get, "/me", cookie)).Body.Should().Be("alice");
        using (granted.Vault.RunAs(new VaultPrincipal("dp-admin")))
        {
            var events = await granted.Vault.GetAuditEventsAsync(new KeyVault.Embedded.Audit.AuditQuery { PrincipalId = ringPrincipal.ObjectId });
            events.Should().Contain(e => e.OperationName == "KeyWrap" && e.ResultSignature == "OK");
            events.Should().Contain(e => e.OperationName == "KeyWrap" && e.ResultSignature == "Forbidden" || e.OperationName == "KeyGet" && e.ResultSignature == "Forbidden");
            events.Should().Contain(e => e.OperationName == "SecretSet" && e.ResultSignature == "OK");
        }
    }

    internal static async Task CreateWrapKeyAsync(EmbeddedVault vault) =>
        await vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions(DataProtectionApp.WrapKey) { KeySize = 2048 });

    internal static List<string> Chain(Exception error)
    {
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return messages;
    }
}
