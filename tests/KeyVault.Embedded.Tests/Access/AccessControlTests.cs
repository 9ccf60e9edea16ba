using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Access;

/// <summary>Access control through the public API: turning it on, role assignments, access policies, long-lived clients, persistence.</summary>
public sealed class AccessControlTests : VaultTestBase
{
    private static readonly VaultPrincipal Admin = new("admin-oid", "Ada Admin");
    private static readonly VaultPrincipal Web = new("web-oid", "web request", VaultPrincipalKind.Application);
    private static readonly VaultPrincipal Job = new("job-oid", "background job", VaultPrincipalKind.Service);

    [Fact]
    public async Task Without_access_control_the_application_does_everything_as_before()
    {
        Vault.Access.Mode.Should().Be(VaultAuthorizationMode.None);
        await Secrets.SetSecretAsync("s", "v");
        using (Vault.RunAs(Web))
        {
            (await Secrets.GetSecretAsync("s")).Value.Should().Be("v", "with access control off every caller is the application");
        }
    }

    [Fact]
    public async Task Turning_rbac_on_without_an_administrator_assignment_is_refused_as_a_lock_out()
    {
        var error = (await FluentActions.Awaiting(() => Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac)).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("lock").And.Contain("Key Vault Administrator");
        Vault.Access.Mode.Should().Be(VaultAuthorizationMode.None);
    }

    [Fact]
    public async Task A_web_request_gets_only_its_own_secret_and_a_refusal_names_principal_action_and_scope_and_writes_nothing()
    {
        await Secrets.SetSecretAsync("web-db", "web-password");
        await Secrets.SetSecretAsync("payroll-db", "payroll-password");
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("web-db"), KeyVaultRoles.SecretsUser.Id, Web.ObjectId);
        }

        using (Vault.RunAs(Web))
        {
            (await Secrets.GetSecretAsync("web-db")).Value.Should().Be("web-password");
            var denied = (await FluentActions.Awaiting(() => Secrets.GetSecretAsync("payroll-db")).Should().ThrowAsync<VaultException>()).Which;
            denied.Status.Should().Be(403);
            denied.ErrorCode.Should().Be(VaultErrorCode.Forbidden);
            denied.InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac);
            denied.Message.Should().Contain("web-oid").And.Contain("Microsoft.KeyVault/vaults/secrets/getSecret/action").And.Contain("/secrets/payroll-db").And.NotContain("payroll-password");

            var generation = CommitCount();
            (await FluentActions.Awaiting(() => Secrets.SetSecretAsync("web-db", "changed")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403);
            CommitCount().Should().Be(generation, "a refused call writes nothing");
        }

        // The application itself has no assignment: once access control is on, it is denied too.
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("web-db")).Should().ThrowAsync<VaultException>();
    }

    [Fact]
    public async Task A_background_job_wraps_and_unwraps_with_one_key_only_and_loses_it_mid_life_when_its_assignment_goes()
    {
        await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("kek"));
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
        await EnableRbacAsync();
        VaultRoleAssignment assignment;
        using (Vault.RunAs(Admin))
        {
            assignment = await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Key("kek"), KeyVaultRoles.CryptoServiceEncryptionUser.Id, Job.ObjectId);
        }

        using (Vault.RunAs(Job))
        {
            using var client = Vault.Keys.GetCryptographyClient("kek");
            var cek = new byte[32];
            var wrapped = client.WrapKey(KeyWrapAlgorithm.RsaOaep256, cek);
            client.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, wrapped.EncryptedKey).Key.Should().Equal(cek);
            FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.RS256, new byte[32])).Should().Throw<VaultException>().Which.InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac);
            using var other = Vault.Keys.GetCryptographyClient("signing");
            FluentActions.Invoking(() => other.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<VaultException>();

            using (Vault.RunAs(Admin))
            {
                await Vault.Access.DeleteRoleAssignmentAsync(assignment.Scope, assignment.Name);
            }

            // The same client, made while the job had the role: checked per operation, so the removal applies at once.
            FluentActions.Invoking(() => client.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, wrapped.EncryptedKey)).Should().Throw<VaultException>().Which.Status.Should().Be(403);
        }
    }

    [Fact]
    public async Task A_reader_encrypts_with_an_rsa_key_but_not_with_an_aes_key_of_the_same_name_made_later()
    {
        await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("k"));
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Key("k"), KeyVaultRoles.Reader.Id, Web.ObjectId);
        }

        using var client = Vault.Keys.GetCryptographyClient("k");
        using (Vault.RunAs(Web))
        {
            // Azure's rule: a public-key operation on an asymmetric key needs only the right to read the key.
            client.Encrypt(EncryptionAlgorithm.RsaOaep256, new byte[16]);
            client.Encrypt(EncryptionAlgorithm.RsaOaep256, new byte[16]);
        }

        using (Vault.RunAs(Admin))
        {
            await Vault.Keys.StartDeleteKeyAsync("k");
            await Vault.Keys.PurgeDeletedKeyAsync("k");
            await Vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        }

        using (Vault.RunAs(Web))
        {
            // Same caller, same name, same access control: the decision rested on the key's type, so it is made again.
            using var aes = Vault.Keys.GetCryptographyClient("k");
            FluentActions.Invoking(() => aes.Encrypt(EncryptionAlgorithm.A256Gcm, new byte[16])).Should().Throw<VaultException>().Which.InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac);
        }
    }

    [Fact]
    public async Task Group_members_inherit_and_type_scopes_reach_every_object_of_the_type_only()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsOfficer.Id, "ops-group");
        }

        using (Vault.RunAs(new VaultPrincipal("member", groups: ["ops-group"])))
        {
            await Secrets.SetSecretAsync("b", "2");
            (await Secrets.GetSecretAsync("a")).Value.Should().Be("1");
            await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("k")).Should().ThrowAsync<VaultException>();
            await FluentActions.Awaiting(() => Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, "member")).Should().ThrowAsync<VaultException>();
        }
    }

    [Fact]
    public async Task A_data_access_administrator_assigns_the_data_roles_but_not_the_others()
    {
        await EnableRbacAsync();
        var delegated = new VaultPrincipal("delegate-oid");
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.DataAccessAdministrator.Id, delegated.ObjectId);
        }

        using (Vault.RunAs(delegated))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, "someone");
            await FluentActions.Awaiting(() => Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.CertificateUser.Id, "someone"))
                .Should().ThrowAsync<VaultException>();
            await FluentActions.Awaiting(() => Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.None)).Should().ThrowAsync<VaultException>();
            await FluentActions.Awaiting(() => Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, delegated.ObjectId))
                .Should().ThrowAsync<VaultException>("Administrator owns access control here: a delegate may not make itself one");
            await FluentActions.Awaiting(() => Secrets.GetSecretAsync("x")).Should().ThrowAsync<VaultException>("managing access is not reading data");
        }
    }

    [Fact]
    public async Task Access_policies_grant_per_principal_and_type_and_deny_with_AccessDenied()
    {
        await Secrets.SetSecretAsync("s", "v");
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
            await Vault.Access.SetAccessPolicyAsync(new VaultAccessPolicy(Web.ObjectId, secrets: ["get", "list"]));
            await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.AccessPolicy);
        }

        using (Vault.RunAs(Web))
        {
            (await Secrets.GetSecretAsync("s")).Value.Should().Be("v");
            var denied = (await FluentActions.Awaiting(() => Secrets.SetSecretAsync("s", "w")).Should().ThrowAsync<VaultException>()).Which;
            denied.InnerErrorCode.Should().Be(VaultErrorCode.AccessDenied);
            denied.Message.Should().Contain("secrets set permission");
        }

        await FluentActions.Awaiting(() => Task.FromResult(new VaultAccessPolicy("x", secrets: ["sign"]))).Should().ThrowAsync<VaultException>("sign is not a secret permission");
    }

    [Fact]
    public async Task Access_control_survives_a_reopen_as_an_authenticated_record()
    {
        await Secrets.SetSecretAsync("s", "v");
        await EnableRbacAsync();
        await ReopenAsync();

        Vault.Access.Mode.Should().Be(VaultAuthorizationMode.Rbac);
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultException>();
        using (Vault.RunAs(Admin))
        {
            (await Secrets.GetSecretAsync("s")).Value.Should().Be("v");
            (await Vault.Access.GetRoleAssignmentsAsync()).Should().ContainSingle().Which.PrincipalId.Should().Be(Admin.ObjectId);
            (await Vault.Access.GetRoleDefinitionsAsync()).Select(r => r.RoleName).Should().Contain("Key Vault Secrets User");
        }
    }

    [Theory]
    [InlineData("//")]
    [InlineData("///")]
    [InlineData("/secrets/")]
    [InlineData("/secrets//")]
    [InlineData("/keys/x/")]
    [InlineData("//secrets")]
    public void A_scope_with_an_empty_segment_is_refused_rather_than_widened(string scope)
    {
        // What a script makes of "/secrets/$NAME" with the name missing must not become "/secrets" (every secret).
        var error = FluentActions.Invoking(() => new KeyVaultRoleScope(scope)).Should().Throw<VaultException>().Which;
        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("empty segment");
        new KeyVaultRoleScope("/").Value.Should().Be("/");
        new KeyVaultRoleScope("/Secrets/Web-DB").Value.Should().Be("/secrets/web-db");
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("Anonymous")]
    [InlineData(" web-oid")]
    [InlineData("web-oid ")]
    [InlineData("web\u001b[31m-oid")]
    [InlineData("web\n-oid")]
    public async Task A_role_for_the_anonymous_principal_or_an_id_with_control_characters_or_outer_spaces_is_refused_and_nothing_is_written(string principal)
    {
        principal = System.Text.RegularExpressions.Regex.Unescape(principal);
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            var before = await Vault.Access.GetRoleAssignmentsAsync();
            var error = (await FluentActions.Awaiting(() => Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, principal)).Should().ThrowAsync<VaultException>()).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
            error.Message.Should().Contain("principal");
            (await Vault.Access.GetRoleAssignmentsAsync()).Should().BeEquivalentTo(before);
            (await FluentActions.Awaiting(() => Vault.Access.SetAccessPolicyAsync(new VaultAccessPolicy(principal, secrets: ["get"]))).Should().ThrowAsync<VaultException>())
                .Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
            (await Vault.Access.GetAccessPoliciesAsync()).Should().BeEmpty();
        }
    }

    [Fact]
    public async Task The_last_administrator_assignment_cannot_be_removed_while_access_control_is_on()
    {
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            var only = (await Vault.Access.GetRoleAssignmentsAsync()).Single();
            (await FluentActions.Awaiting(() => Vault.Access.DeleteRoleAssignmentAsync(only.Scope, only.Name)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        }
    }

    [Fact]
    public async Task Issuing_from_the_vaults_ca_needs_the_right_to_sign_with_the_ca_key()
    {
        var ca = new KeyVault.Embedded.Certificates.CertificatePolicy(KeyVault.Embedded.Certificates.WellKnownIssuerNames.Self, "CN=Root")
        {
            KeyUsage = { KeyVault.Embedded.Certificates.CertificateKeyUsage.KeyCertSign, KeyVault.Embedded.Certificates.CertificateKeyUsage.DigitalSignature },
            ValidityInMonths = 60,
        };
        await Vault.Certificates.StartCreateCertificateAsync("root-ca", ca);
        await Vault.Certificates.CreateIssuerAsync(new KeyVault.Embedded.Certificates.CertificateIssuer("root") { CertificateName = "root-ca" });
        await EnableRbacAsync();
        var officer = new VaultPrincipal("officer");
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Certificates, KeyVaultRoles.CertificatesOfficer.Id, officer.ObjectId);
        }

        var leaf = new KeyVault.Embedded.Certificates.CertificatePolicy("root", "CN=anything.example.com") { ValidityInMonths = 12 };
        using (Vault.RunAs(officer))
        {
            (await FluentActions.Awaiting(() => Vault.Certificates.StartCreateCertificateAsync("minted", leaf)).Should().ThrowAsync<VaultException>())
                .Which.Message.Should().Contain("keys/sign/action").And.Contain("/keys/root-ca");
        }

        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Key("root-ca"), KeyVaultRoles.CryptoUser.Id, officer.ObjectId);
        }

        using (Vault.RunAs(officer))
        {
            (await Vault.Certificates.StartCreateCertificateAsync("minted", leaf)).HasCompleted.Should().BeTrue();
        }
    }

    [Fact]
    public void RunAs_scopes_end_innermost_first_and_an_outer_one_ended_early_is_refused()
    {
        var outer = Vault.RunAs(Admin);
        var inner = Vault.RunAs(Web);
        FluentActions.Invoking(outer.Dispose).Should().Throw<InvalidOperationException>();
        inner.Dispose();
        outer.Dispose();
    }

    private long CommitCount() => ((Operations.VaultCore)typeof(EmbeddedVault).GetField("_core", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(Vault)!).Generation;

    private async Task EnableRbacAsync()
    {
        await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }
    }
}
