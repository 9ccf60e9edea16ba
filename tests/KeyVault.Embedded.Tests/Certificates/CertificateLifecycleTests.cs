using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>Lists, soft delete, recover and purge: a certificate moves together with its managed key and secret.</summary>
public sealed class CertificateLifecycleTests : CertificateTestBase
{
    [Fact]
    public async Task Delete_recover_and_purge_act_on_the_certificate_its_key_and_its_secret()
    {
        var created = await CreateAsync("web", SelfPolicy());

        var deleted = (await Certificates.StartDeleteCertificateAsync("web")).Value;
        deleted.RecoveryId!.ToString().Should().EndWith("/deletedcertificates/web");
        deleted.DeletedOn.Should().Be(Start);
        deleted.ScheduledPurgeDate.Should().Be(Start.AddDays(90));
        deleted.Policy.Subject.Should().Be("CN=app.example.com");

        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Vault.Secrets.GetSecretAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Certificates.GetDeletedCertificatesAsync().ToListAsync()).Should().ContainSingle().Which.Name.Should().Be("web");
        (await Vault.Keys.GetDeletedKeyAsync("web")).Name.Should().Be("web");

        // The managed objects move only with their certificate.
        (await RefusedAsync(() => Vault.Keys.StartRecoverDeletedKeyAsync("web"), 403)).Message.Should().Contain("certificate");
        await RefusedAsync(() => Vault.Secrets.PurgeDeletedSecretAsync("web"), 403);

        // The deleted name cannot be reused until it is recovered or purged.
        await RefusedAsync(() => Certificates.StartCreateCertificateAsync("web", SelfPolicy()), 409);

        var recovered = (await Certificates.StartRecoverDeletedCertificateAsync("web")).Value;
        recovered.Properties.Version.Should().Be(created.Properties.Version);
        (await Vault.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(created.Properties.Version);
        (await Vault.Secrets.GetSecretAsync("web")).Properties.Version.Should().Be(created.Properties.Version);

        await Certificates.StartDeleteCertificateAsync("web");
        await Certificates.PurgeDeletedCertificateAsync("web");
        await FluentActions.Awaiting(() => Certificates.GetDeletedCertificateAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Vault.Keys.GetDeletedKeyAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Vault.Secrets.GetDeletedSecretAsync("web")).Should().ThrowAsync<VaultObjectNotFoundException>();

        // A purged name is free again, for a plain secret too.
        await Vault.Secrets.SetSecretAsync("web", "plain now");
    }

    [Fact]
    public async Task Purge_at_the_end_of_retention_takes_the_managed_objects_too()
    {
        await CreateAsync("web", SelfPolicy());
        await Certificates.StartDeleteCertificateAsync("web");

        Time.Advance(TimeSpan.FromDays(90));
        (await Vault.PurgeDueDeletedObjectsAsync()).Should().Be(3);

        (await Vault.Keys.GetDeletedKeysAsync().ToListAsync()).Should().BeEmpty();
        (await Vault.Secrets.GetDeletedSecretsAsync().ToListAsync()).Should().BeEmpty();
        (await Certificates.GetDeletedCertificatesAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Deleting_a_certificate_removes_its_pending_operation()
    {
        await CreateAsync("web", SelfPolicy());
        await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=web"));

        await Certificates.StartDeleteCertificateAsync("web");
        await Certificates.StartRecoverDeletedCertificateAsync("web");

        var operation = await Certificates.GetCertificateOperationAsync("web");
        operation.HasCompleted.Should().BeTrue("the pending operation went with the delete");
    }

    [Fact]
    public async Task Lists_show_current_versions_of_active_certificates()
    {
        await CreateAsync("a", SelfPolicy());
        await CreateAsync("b", SelfPolicy());
        var c = await CreateAsync("c", SelfPolicy());
        await CreateAsync("c", SelfPolicy());
        await Certificates.StartDeleteCertificateAsync("b");
        await Vault.Secrets.SetSecretAsync("plain", "value");

        var listed = await Certificates.GetPropertiesOfCertificatesAsync().ToListAsync();
        listed.Select(p => p.Name).Should().BeEquivalentTo(["a", "c"]);
        listed.Single(p => p.Name == "c").Version.Should().NotBe(c.Properties.Version);
        listed.Should().OnlyContain(p => p.X509Thumbprint != null && p.Id!.ToString().Contains("/certificates/"));

        var secrets = await Vault.Secrets.GetPropertiesOfSecretsAsync().ToListAsync();
        secrets.Where(s => s.Managed).Select(s => s.Name).Should().BeEquivalentTo(["a", "c"]);
    }

    [Fact]
    public async Task An_update_of_an_older_version_leaves_the_current_one_alone()
    {
        var first = await CreateAsync("web", SelfPolicy());
        await CreateAsync("web", SelfPolicy());
        var older = (await Certificates.GetCertificateVersionAsync("web", first.Properties.Version!)).Properties;
        older.Enabled = false;

        await Certificates.UpdateCertificatePropertiesAsync(older);

        (await Certificates.GetCertificateVersionAsync("web", first.Properties.Version!)).Properties.Enabled.Should().BeFalse();
        (await Vault.Keys.GetKeyAsync("web", first.Properties.Version)).Properties.Enabled.Should().BeFalse();
        (await Certificates.GetCertificateAsync("web")).Properties.Enabled.Should().BeTrue();
        (await Vault.Keys.GetKeyAsync("web")).Properties.Enabled.Should().BeTrue();
    }
}

/// <summary>Purge protection holds for a certificate and its managed objects.</summary>
public sealed class CertificatePurgeProtectionTests : CertificateTestBase
{
    protected override void Configure(EmbeddedVaultOptions options)
    {
        base.Configure(options);
        options.EnablePurgeProtection = true;
    }

    [Fact]
    public async Task A_protected_certificate_cannot_be_purged_before_its_date()
    {
        await CreateAsync("web", SelfPolicy());
        await Certificates.StartDeleteCertificateAsync("web");

        await RefusedAsync(() => Certificates.PurgeDeletedCertificateAsync("web"), 403);
        (await Certificates.GetDeletedCertificateAsync("web")).Name.Should().Be("web");
        (await Vault.Keys.GetDeletedKeyAsync("web")).Name.Should().Be("web");
    }
}
