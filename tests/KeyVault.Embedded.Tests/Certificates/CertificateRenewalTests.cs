using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>Lifetime actions evaluated at the vault's (fake) time.</summary>
public sealed class CertificateRenewalTests : CertificateTestBase
{
    [Fact]
    public async Task AutoRenew_at_80_percent_makes_one_new_version_with_a_new_key()
    {
        var first = await CreateAsync("web", SelfPolicy());
        var due = Start + ((Start.AddMonths(12) - Start) * 0.8);

        Time.SetUtcNow(due.AddSeconds(-1));
        var early = await Certificates.ApplyLifetimeActionsAsync();
        early.Renewed.Should().BeEmpty();

        Time.SetUtcNow(due);
        var results = await Certificates.ApplyLifetimeActionsAsync();

        var renewed = results.Renewed.Should().ContainSingle().Subject;
        renewed.Name.Should().Be("web");
        renewed.Properties.Version.Should().NotBe(first.Properties.Version);
        renewed.Properties.NotBefore.Should().Be(due);
        renewed.Properties.ExpiresOn.Should().Be(due.AddMonths(12));
        (await Certificates.GetCertificateAsync("web")).Properties.Version.Should().Be(renewed.Properties.Version);
        (await Vault.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(renewed.Properties.Version);
        (await Vault.Secrets.GetSecretAsync("web")).Properties.Version.Should().Be(renewed.Properties.Version);
        using (var before = Load(first.Cer))
        using (var after = Load(renewed.Cer))
        {
            after.PublicKey.ExportSubjectPublicKeyInfo().Should().NotEqual(before.PublicKey.ExportSubjectPublicKeyInfo());
            after.Subject.Should().Be(before.Subject);
        }

        // Renewed once: the new version is not due.
        (await Certificates.ApplyLifetimeActionsAsync()).Renewed.Should().BeEmpty();
        (await Certificates.GetPropertiesOfCertificateVersionsAsync("web").ToListAsync()).Should().HaveCount(2);
    }

    [Fact]
    public async Task An_action_and_names_in_another_case_are_the_canonical_ones_and_renew()
    {
        var policy = SelfPolicy(keyType: "ec", curve: "p-384");
        policy.KeySize = 384;
        policy.LifetimeActions.Add(new LifetimeAction(new CertificatePolicyAction("autorenew")) { DaysBeforeExpiry = 30 });
        var first = await CreateAsync("web", policy);

        var stored = await Certificates.GetCertificatePolicyAsync("web");
        stored.KeyType.ToString().Should().Be("EC");
        stored.KeyCurveName.ToString().Should().Be("P-384");
        stored.LifetimeActions.Single().Action.ToString().Should().Be("AutoRenew");
        Time.SetUtcNow(first.Properties.ExpiresOn!.Value.AddDays(-30));
        (await Certificates.ApplyLifetimeActionsAsync()).Renewed.Should().ContainSingle();
    }

    [Fact]
    public async Task A_policy_that_reuses_its_key_renews_with_the_same_key()
    {
        var policy = SelfPolicy(keyType: "EC", curve: "P-256");
        policy.ReuseKey = true;
        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 30 });
        var first = await CreateAsync("web", policy);

        Time.SetUtcNow(first.Properties.ExpiresOn!.Value.AddDays(-30));
        var renewed = (await Certificates.ApplyLifetimeActionsAsync()).Renewed.Should().ContainSingle().Subject;

        using var before = Load(first.Cer);
        using var after = Load(renewed.Cer);
        after.PublicKey.ExportSubjectPublicKeyInfo().Should().Equal(before.PublicKey.ExportSubjectPublicKeyInfo());
        after.SerialNumber.Should().NotBe(before.SerialNumber);
        var oldKey = await Vault.Keys.GetKeyAsync("web", first.Properties.Version);
        var newKey = await Vault.Keys.GetKeyAsync("web");
        newKey.Properties.Version.Should().Be(renewed.Properties.Version);
        newKey.Key.X.Should().Equal(oldKey.Key.X);

        // The reused key signs under the new version.
        using var downloaded = await Certificates.DownloadCertificateAsync("web");
        using var vaultKey = (System.Security.Cryptography.ECDsa)await Certificates.GetCertificateKeyAsync("web");
        byte[] data = [1, 2, 3];
        downloaded.GetECDsaPublicKey()!.VerifyData(data, vaultKey.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256), System.Security.Cryptography.HashAlgorithmName.SHA256)
            .Should().BeTrue();
    }

    [Fact]
    public async Task A_certificate_from_the_vault_ca_renews_with_its_chain()
    {
        var root = await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        var leaf = await CreateAsync("api", new CertificatePolicy("root", "CN=api.example.com") { ValidityInMonths = 3 });

        Time.SetUtcNow(leaf.Properties.ExpiresOn!.Value.AddDays(-1));
        var results = await Certificates.ApplyLifetimeActionsAsync();

        var renewed = results.Renewed.Should().ContainSingle().Subject;
        renewed.Name.Should().Be("api");
        renewed.Chain.Should().ContainSingle().Which.Should().Equal(root.Cer);
        OpenSslOk("verify", "-attime", AtTime, "-CAfile", WritePem("root.pem", root.Cer), WritePem("renewed.pem", renewed.Cer)).Should().Contain(": OK");
    }

    [Fact]
    public async Task A_renewal_that_cannot_be_signed_is_reported_and_the_others_still_renew()
    {
        var root = await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        await CreateAsync("api", new CertificatePolicy("root", "CN=api.example.com"));
        await CreateAsync("self", SelfPolicy());
        root.Properties.Enabled = false;
        await Certificates.UpdateCertificatePropertiesAsync(root.Properties);

        Time.Advance(TimeSpan.FromDays(330));
        var results = await Certificates.ApplyLifetimeActionsAsync();

        results.Renewed.Select(c => c.Name).Should().Equal("self");
        results.Failed.Should().ContainKey("api").WhoseValue.Status.Should().Be(403);

        // Fixed, the next evaluation renews it.
        root.Properties.Enabled = true;
        await Certificates.UpdateCertificatePropertiesAsync(root.Properties);
        var retried = await Certificates.ApplyLifetimeActionsAsync();
        retried.Renewed.Select(c => c.Name).Should().Equal("api");
        retried.Failed.Should().BeEmpty();
    }

    [Fact]
    public async Task EmailContacts_reports_each_version_once_with_the_contacts()
    {
        await Certificates.SetContactsAsync([new CertificateContact { Name = "Ops", Email = "ops@example.com" }]);
        var policy = SelfPolicy();
        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.EmailContacts) { LifetimePercentage = 90 });
        var first = await CreateAsync("web", policy);

        Time.SetUtcNow(Start + ((first.Properties.ExpiresOn!.Value - Start) * 0.9));
        var results = await Certificates.ApplyLifetimeActionsAsync();

        results.Renewed.Should().BeEmpty("EmailContacts does not renew");
        results.NearExpiry.Should().ContainSingle().Which.Version.Should().Be(first.Properties.Version);
        results.Contacts.Should().ContainSingle().Which.Email.Should().Be("ops@example.com");

        await ReopenAsync();
        (await Certificates.ApplyLifetimeActionsAsync()).NearExpiry.Should().BeEmpty("each version is reported once, across restarts");

        // A new version is reported in its own time.
        var second = await CreateAsync("web", policy);
        (await Certificates.ApplyLifetimeActionsAsync()).NearExpiry.Should().BeEmpty();
        Time.SetUtcNow(second.Properties.ExpiresOn!.Value.AddDays(-1));
        (await Certificates.ApplyLifetimeActionsAsync()).NearExpiry.Should().ContainSingle().Which.Version.Should().Be(second.Properties.Version);
    }

    [Fact]
    public async Task Disabled_and_deleted_certificates_are_not_renewed()
    {
        var disabled = await CreateAsync("disabled", SelfPolicy());
        disabled.Properties.Enabled = false;
        await Certificates.UpdateCertificatePropertiesAsync(disabled.Properties);
        await CreateAsync("deleted", SelfPolicy());
        await Certificates.StartDeleteCertificateAsync("deleted");

        Time.Advance(TimeSpan.FromDays(340));
        var results = await Certificates.ApplyLifetimeActionsAsync();

        results.Renewed.Should().BeEmpty();
        results.Failed.Should().BeEmpty();
    }

    [Fact]
    public async Task Contacts_are_set_read_and_deleted()
    {
        (await FluentActions.Awaiting(() => Certificates.GetContactsAsync()).Should().ThrowAsync<VaultObjectNotFoundException>("none are set: Azure's ContactsNotFound"))
            .Which.ErrorCode.ToString().Should().Be("ContactsNotFound");

        await Certificates.SetContactsAsync([new CertificateContact { Name = "A", Email = "a@example.com", Phone = "+1 555" }, new CertificateContact { Email = "b@example.com" }]);
        await ReopenAsync();
        var contacts = await Certificates.GetContactsAsync();
        contacts.Select(c => c.Email).Should().Equal("a@example.com", "b@example.com");
        contacts[0].Phone.Should().Be("+1 555");

        var refused = await RefusedAsync(() => Certificates.SetContactsAsync([new CertificateContact { Name = "no email" }]));
        refused.Message.Should().Contain("Email");

        (await Certificates.DeleteContactsAsync()).Should().HaveCount(2);
        await FluentActions.Awaiting(() => Certificates.GetContactsAsync()).Should().ThrowAsync<VaultObjectNotFoundException>();
    }
}
