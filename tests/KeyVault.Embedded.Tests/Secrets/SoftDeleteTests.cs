using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Secrets;

public sealed class SoftDeleteTests : VaultTestBase
{
    [Fact]
    public async Task Delete_moves_all_versions_to_the_deleted_state_with_recovery_id_and_purge_date()
    {
        await Secrets.SetSecretAsync("s", "1");
        var current = await Secrets.SetSecretAsync("s", "2");
        Time.Advance(TimeSpan.FromHours(1));

        var deleted = (await Secrets.StartDeleteSecretAsync("s")).Value;

        deleted.Name.Should().Be("s");
        deleted.Properties.Version.Should().Be(current.Properties.Version);
        deleted.DeletedOn.Should().Be(Start.AddHours(1));
        deleted.ScheduledPurgeDate.Should().Be(Start.AddHours(1).AddDays(90));
        deleted.RecoveryId.Should().Be(new Uri(Vault.Properties.VaultUri, "deletedsecrets/s"));
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("s", current.Properties.Version)).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync()).Should().BeEmpty("as in Azure, a name with no active secret lists no versions");
        (await Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Deleted_secrets_can_be_got_and_listed()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Secrets.SetSecretAsync("b", "2");
        await Secrets.StartDeleteSecretAsync("a");

        (await Secrets.GetDeletedSecretAsync("A")).Name.Should().Be("a");
        (await Secrets.GetDeletedSecretsAsync().ToListAsync()).Select(d => d.Name).Should().Equal("a");
        await FluentActions.Awaiting(() => Secrets.GetDeletedSecretAsync("b")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task Deleted_name_cannot_be_reused_until_recovered_or_purged()
    {
        await Secrets.SetSecretAsync("s", "v");
        await Secrets.StartDeleteSecretAsync("s");

        var error = (await FluentActions.Awaiting(() => Secrets.SetSecretAsync("S", "new")).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.ObjectIsDeletedButRecoverable);
        error.Status.Should().Be(409);
        error.Message.Should().Contain("deleted but recoverable");
        await Secrets.PurgeDeletedSecretAsync("s");
        (await Secrets.SetSecretAsync("s", "new")).Value.Should().Be("new");
        (await Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync()).Should().ContainSingle("purge removed the old versions");
    }

    [Fact]
    public async Task Recover_brings_every_version_back()
    {
        var v1 = await Secrets.SetSecretAsync("s", "1");
        var v2 = await Secrets.SetSecretAsync("s", "2");
        await Secrets.StartDeleteSecretAsync("s");

        var recovered = (await Secrets.StartRecoverDeletedSecretAsync("s")).Value;

        recovered.Version.Should().Be(v2.Properties.Version);
        (await Secrets.GetSecretAsync("s")).Value.Should().Be("2");
        (await Secrets.GetSecretAsync("s", v1.Properties.Version)).Value.Should().Be("1");
        (await Secrets.GetDeletedSecretsAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Delete_recover_and_purge_of_the_wrong_state_are_not_found()
    {
        await Secrets.SetSecretAsync("active", "v");

        await FluentActions.Awaiting(() => Secrets.StartDeleteSecretAsync("missing")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.StartRecoverDeletedSecretAsync("active")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.PurgeDeletedSecretAsync("active")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await Secrets.StartDeleteSecretAsync("active");
        await FluentActions.Awaiting(() => Secrets.StartDeleteSecretAsync("active")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task Purge_removes_the_secret_for_good()
    {
        await Secrets.SetSecretAsync("s", "v");
        await Secrets.StartDeleteSecretAsync("s");

        await Secrets.PurgeDeletedSecretAsync("s");
        await ReopenAsync();

        await FluentActions.Awaiting(() => Secrets.GetDeletedSecretAsync("s")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task Soft_delete_state_survives_reopening()
    {
        await Secrets.SetSecretAsync("s", "v");
        var deleted = (await Secrets.StartDeleteSecretAsync("s")).Value;

        await ReopenAsync();

        (await Secrets.GetDeletedSecretAsync("s")).ScheduledPurgeDate.Should().Be(deleted.ScheduledPurgeDate);
        await Secrets.StartRecoverDeletedSecretAsync("s");
        (await Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task The_vault_purges_what_is_due_and_nothing_else()
    {
        await Secrets.SetSecretAsync("early", "v");
        await Secrets.SetSecretAsync("late", "v");
        await Secrets.SetSecretAsync("kept", "v");
        await Secrets.StartDeleteSecretAsync("early");
        Time.Advance(TimeSpan.FromDays(1));
        await Secrets.StartDeleteSecretAsync("late");

        Time.Advance(TimeSpan.FromDays(89) - TimeSpan.FromSeconds(1));
        (await Vault.PurgeDueDeletedObjectsAsync()).Should().Be(0, "one second before the scheduled date nothing is due");
        Time.Advance(TimeSpan.FromSeconds(1));
        (await Vault.PurgeDueDeletedObjectsAsync()).Should().Be(1);

        await FluentActions.Awaiting(() => Secrets.GetDeletedSecretAsync("early")).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Secrets.GetDeletedSecretAsync("late")).Name.Should().Be("late");
        (await Secrets.GetSecretAsync("kept")).Value.Should().Be("v");
        Time.Advance(TimeSpan.FromDays(1));
        (await Vault.PurgeDueDeletedObjectsAsync()).Should().Be(1);
    }
}

public sealed class RetentionTests : VaultTestBase
{
    protected override void Configure(EmbeddedVaultOptions options) => options.SoftDeleteRetentionDays = 7;

    [Fact]
    public async Task Retention_is_fixed_at_creation()
    {
        await Secrets.SetSecretAsync("s", "v");
        var deleted = (await Secrets.StartDeleteSecretAsync("s")).Value;
        deleted.ScheduledPurgeDate.Should().Be(Start.AddDays(7));
        deleted.Properties.RecoveryLevel.Should().Be("CustomizedRecoverable+Purgeable");

        await ReopenAsync(o => o.SoftDeleteRetentionDays = 30);

        Vault.Properties.SoftDeleteRetentionDays.Should().Be(7);
        await Secrets.StartRecoverDeletedSecretAsync("s");
        ((await Secrets.StartDeleteSecretAsync("s")).Value).ScheduledPurgeDate.Should().Be(Start.AddDays(7));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(91)]
    [InlineData(0)]
    public async Task Retention_outside_7_to_90_days_is_refused_and_creates_nothing(int days)
    {
        using var dir = new TempDirectory();
        var path = dir.File("other.db");

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(path, Key, configure: o => o.SoftDeleteRetentionDays = days))
            .Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("SoftDeleteRetentionDays").And.Contain("7").And.Contain("90");
        Directory.GetFiles(dir.Path).Should().BeEmpty();
    }
}

public sealed class PurgeProtectionTests : VaultTestBase
{
    protected override void Configure(EmbeddedVaultOptions options) => options.EnablePurgeProtection = true;

    [Fact]
    public async Task Purge_before_the_scheduled_date_is_refused()
    {
        await Secrets.SetSecretAsync("s", "v");
        await Secrets.StartDeleteSecretAsync("s");
        Time.Advance(TimeSpan.FromDays(89));

        var error = (await FluentActions.Awaiting(() => Secrets.PurgeDeletedSecretAsync("s")).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.Forbidden);
        error.Status.Should().Be(403);
        error.Message.Should().Contain("purge protection");
        (await Secrets.GetDeletedSecretAsync("s")).Properties.RecoveryLevel.Should().Be("Recoverable");
        Time.Advance(TimeSpan.FromDays(1));
        await Secrets.PurgeDeletedSecretAsync("s");
    }

    [Fact]
    public async Task The_vault_still_purges_when_retention_ends()
    {
        await Secrets.SetSecretAsync("s", "v");
        await Secrets.StartDeleteSecretAsync("s");
        Time.Advance(TimeSpan.FromDays(90));

        (await Vault.PurgeDueDeletedObjectsAsync()).Should().Be(1);
        (await Secrets.GetDeletedSecretsAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Purge_protection_can_never_be_turned_off()
    {
        await ReopenAsync(o => o.EnablePurgeProtection = false);

        Vault.Properties.PurgeProtectionEnabled.Should().BeTrue();
        await Vault.EnablePurgeProtectionAsync();
        Vault.Properties.PurgeProtectionEnabled.Should().BeTrue();
    }
}

public sealed class LatePurgeProtectionTests : VaultTestBase
{
    [Fact]
    public async Task Purge_protection_can_be_switched_on_later_and_stays_on()
    {
        Vault.Properties.PurgeProtectionEnabled.Should().BeFalse();
        await Secrets.SetSecretAsync("s", "v");
        await Secrets.StartDeleteSecretAsync("s");

        await Vault.EnablePurgeProtectionAsync();
        await ReopenAsync();

        Vault.Properties.PurgeProtectionEnabled.Should().BeTrue();
        await FluentActions.Awaiting(() => Secrets.PurgeDeletedSecretAsync("s")).Should().ThrowAsync<VaultException>()
            .Where(e => e.ErrorCode == VaultErrorCode.Forbidden);
    }

    [Fact]
    public async Task Purge_protection_can_be_switched_on_at_open()
    {
        await ReopenAsync(o => o.EnablePurgeProtection = true);
        await ReopenAsync(o => o.EnablePurgeProtection = false);

        Vault.Properties.PurgeProtectionEnabled.Should().BeTrue();
    }
}
