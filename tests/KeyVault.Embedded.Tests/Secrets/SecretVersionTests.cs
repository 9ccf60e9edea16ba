using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Secrets;

public sealed class SecretVersionTests : VaultTestBase
{
    [Fact]
    public async Task Set_makes_a_new_version_with_a_32_character_lowercase_hex_id_that_becomes_current()
    {
        var first = await Secrets.SetSecretAsync("db-password", "one");
        var second = await Secrets.SetSecretAsync("db-password", "two");

        first.Properties.Version.Should().MatchRegex("^[0-9a-f]{32}$");
        second.Properties.Version.Should().MatchRegex("^[0-9a-f]{32}$").And.NotBe(first.Properties.Version);
        (await Secrets.GetSecretAsync("db-password")).Value.Should().Be("two");
        (await Secrets.GetSecretAsync("db-password", first.Properties.Version)).Value.Should().Be("one");
        (await Secrets.GetSecretAsync("db-password", second.Properties.Version)).Properties.Version.Should().Be(second.Properties.Version);
    }

    [Fact]
    public async Task Versions_are_immutable_and_survive_reopening()
    {
        var first = await Secrets.SetSecretAsync("api", "v1");
        await Secrets.SetSecretAsync("api", "v2");

        await ReopenAsync();

        (await Secrets.GetSecretAsync("api", first.Properties.Version)).Value.Should().Be("v1");
        (await Secrets.GetSecretAsync("api")).Value.Should().Be("v2");
    }

    [Fact]
    public async Task Names_compare_case_insensitively_and_keep_the_casing_first_given()
    {
        await Secrets.SetSecretAsync("MySecret", "a");
        await Secrets.SetSecretAsync("MYSECRET", "b");

        var read = await Secrets.GetSecretAsync("mysecret");

        read.Value.Should().Be("b");
        read.Name.Should().Be("MySecret");
        var versions = await Secrets.GetPropertiesOfSecretVersionsAsync("mySECRET").ToListAsync();
        versions.Should().HaveCount(2);
    }

    [Fact]
    public async Task Set_with_properties_stores_them_on_the_new_version()
    {
        var secret = new KeyVaultSecret("conn", "Server=x");
        secret.Properties.ContentType = "text/plain";
        secret.Properties.ExpiresOn = Start.AddDays(30);
        secret.Properties.NotBefore = Start.AddDays(1);
        secret.Properties.Tags["env"] = "prod";

        var set = await Secrets.SetSecretAsync(secret);
        var read = await Secrets.GetSecretAsync("conn");

        foreach (var properties in new[] { set.Properties, read.Properties })
        {
            properties.ContentType.Should().Be("text/plain");
            properties.ExpiresOn.Should().Be(Start.AddDays(30));
            properties.NotBefore.Should().Be(Start.AddDays(1));
            properties.Tags.Should().Equal(new Dictionary<string, string> { ["env"] = "prod" });
            properties.Enabled.Should().BeTrue();
            properties.CreatedOn.Should().Be(Start);
            properties.UpdatedOn.Should().Be(Start);
            properties.RecoveryLevel.Should().Be("Recoverable+Purgeable");
            properties.RecoverableDays.Should().Be(90);
            properties.Id.Should().Be(new Uri(Vault.Properties.VaultUri, $"secrets/conn/{set.Properties.Version}"));
        }
    }

    [Fact]
    public async Task Each_version_has_its_own_properties()
    {
        var first = new KeyVaultSecret("s", "1");
        first.Properties.Tags["n"] = "1";
        var v1 = await Secrets.SetSecretAsync(first);
        var v2 = await Secrets.SetSecretAsync("s", "2");

        (await Secrets.GetSecretAsync("s", v1.Properties.Version)).Properties.Tags.Should().ContainKey("n");
        (await Secrets.GetSecretAsync("s", v2.Properties.Version)).Properties.Tags.Should().BeEmpty();
    }

    [Fact]
    public async Task Update_changes_properties_of_the_current_version_but_never_the_value()
    {
        await Secrets.SetSecretAsync("s", "value");
        Time.Advance(TimeSpan.FromMinutes(5));

        var update = new SecretProperties("s") { ContentType = "application/json", ExpiresOn = Start.AddDays(10), NotBefore = Start };
        update.Tags["owner"] = "team-a";
        var updated = await Secrets.UpdateSecretPropertiesAsync(update);

        updated.ContentType.Should().Be("application/json");
        updated.ExpiresOn.Should().Be(Start.AddDays(10));
        updated.Tags.Should().ContainKey("owner");
        updated.UpdatedOn.Should().Be(Start.AddMinutes(5));
        updated.CreatedOn.Should().Be(Start);
        var read = await Secrets.GetSecretAsync("s");
        read.Value.Should().Be("value");
        read.Properties.ContentType.Should().Be("application/json");
        (await Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync()).Should().ContainSingle("an update makes no version");
    }

    [Fact]
    public async Task An_update_with_properties_read_before_another_update_is_a_conflict_and_changes_nothing()
    {
        await Secrets.SetSecretAsync("s", "value");
        var first = (await Secrets.GetSecretAsync("s")).Properties;
        var second = (await Secrets.GetSecretAsync("s")).Properties;
        first.Tags["owner"] = "team-a";
        await Secrets.UpdateSecretPropertiesAsync(first);

        second.Enabled = false;
        var refused = (await FluentActions.Awaiting(() => Secrets.UpdateSecretPropertiesAsync(second)).Should().ThrowAsync<VaultException>()).Which;
        refused.ErrorCode.Should().Be(VaultErrorCode.Conflict);
        refused.Message.Should().Contain("'s'").And.Contain("Read the properties again");
        (await Secrets.GetSecretAsync("s")).Properties.Tags.Should().ContainKey("owner", "the refused update undid nothing");

        first.ContentType = "text/plain";
        (await Secrets.UpdateSecretPropertiesAsync(first)).ContentType.Should().Be("text/plain", "properties that made the last update may make the next");
        var made = SecretModelFactory.SecretProperties(name: "s");
        made.Enabled = true;
        await Secrets.UpdateSecretPropertiesAsync(made); // properties the caller made, not read: applied as they are, as in Azure
    }

    [Fact]
    public async Task Properties_read_before_a_key_encryption_key_rotation_still_update_since_a_re_seal_changes_no_property()
    {
        await Secrets.SetSecretAsync("s", "value");
        var properties = (await Secrets.GetSecretAsync("s")).Properties;
        await Vault.RotateKeyEncryptionKeyAsync();

        properties.Tags["owner"] = "team-a";
        (await Secrets.UpdateSecretPropertiesAsync(properties)).Tags.Should().ContainKey("owner");
    }

    [Fact]
    public async Task Update_of_an_older_version_leaves_the_current_version_alone()
    {
        var v1 = await Secrets.SetSecretAsync("s", "1");
        await Secrets.SetSecretAsync("s", "2");

        var older = SecretModelFactory.SecretProperties(name: "s", version: v1.Properties.Version);
        older.Enabled = false;
        await Secrets.UpdateSecretPropertiesAsync(older);

        (await Secrets.GetSecretAsync("s")).Value.Should().Be("2");
        var act = () => Secrets.GetSecretAsync("s", v1.Properties.Version);
        (await act.Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.SecretDisabled);
    }

    [Fact]
    public async Task Update_leaves_fields_that_are_null_and_tags_that_were_not_touched()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.ContentType = "text/plain";
        secret.Properties.Tags["keep"] = "me";
        await Secrets.SetSecretAsync(secret);

        await Secrets.UpdateSecretPropertiesAsync(new SecretProperties("s") { Enabled = true });

        var read = (await Secrets.GetSecretAsync("s")).Properties;
        read.ContentType.Should().Be("text/plain");
        read.Tags.Should().ContainKey("keep");
    }

    [Fact]
    public async Task Update_with_tags_read_back_and_cleared_removes_them()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.Tags["a"] = "1";
        await Secrets.SetSecretAsync(secret);

        var properties = (await Secrets.GetSecretAsync("s")).Properties;
        properties.Tags.Clear();
        await Secrets.UpdateSecretPropertiesAsync(properties);

        (await Secrets.GetSecretAsync("s")).Properties.Tags.Should().BeEmpty();
    }

    [Fact]
    public async Task A_disabled_secret_cannot_be_read()
    {
        await Secrets.SetSecretAsync("s", "hidden-value");
        await Secrets.UpdateSecretPropertiesAsync(new SecretProperties("s") { Enabled = false });

        var act = () => Secrets.GetSecretAsync("s");

        var error = (await act.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.SecretDisabled);
        error.Status.Should().Be(403);
        error.Message.Should().Contain("disabled").And.NotContain("hidden-value");
    }

    [Fact]
    public async Task A_secret_set_disabled_cannot_be_read_until_enabled()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.Enabled = false;
        await Secrets.SetSecretAsync(secret);

        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultException>();
        await Secrets.UpdateSecretPropertiesAsync(new SecretProperties("s") { Enabled = true });
        (await Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task Expired_and_not_yet_valid_secrets_are_still_readable_as_in_Azure()
    {
        var expired = new KeyVaultSecret("expired", "old");
        expired.Properties.ExpiresOn = Start.AddDays(1);
        var future = new KeyVaultSecret("future", "new");
        future.Properties.NotBefore = Start.AddDays(10);
        await Secrets.SetSecretAsync(expired);
        await Secrets.SetSecretAsync(future);

        Time.Advance(TimeSpan.FromDays(2));

        (await Secrets.GetSecretAsync("expired")).Value.Should().Be("old");
        (await Secrets.GetSecretAsync("future")).Value.Should().Be("new");
    }

    [Fact]
    public async Task Unknown_names_and_versions_are_not_found()
    {
        await Secrets.SetSecretAsync("s", "v");

        var missingName = () => Secrets.GetSecretAsync("nope");
        var missingVersion = () => Secrets.GetSecretAsync("s", new string('a', 32));

        (await missingName.Should().ThrowAsync<VaultObjectNotFoundException>()).Which.ErrorCode.Should().Be(VaultErrorCode.SecretNotFound);
        var error = (await missingVersion.Should().ThrowAsync<VaultObjectNotFoundException>()).Which;
        error.Status.Should().Be(404);
        error.Message.Should().Contain(new string('a', 32));
    }

    [Fact]
    public async Task List_returns_the_current_properties_of_each_active_secret()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Secrets.SetSecretAsync("a", "2");
        var b = await Secrets.SetSecretAsync("b", "3");
        await Secrets.SetSecretAsync("c", "4");
        await Secrets.StartDeleteSecretAsync("c");

        var listed = await Secrets.GetPropertiesOfSecretsAsync().ToListAsync();

        listed.Select(p => p.Name).Should().BeEquivalentTo("a", "b");
        listed.Single(p => p.Name == "b").Version.Should().Be(b.Properties.Version);
    }

    [Fact]
    public async Task List_versions_returns_every_version_oldest_first()
    {
        var versions = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            // All within one second: the order comes from the versions' sequence, not their timestamps.
            versions.Add((await Secrets.SetSecretAsync("s", $"{i}")).Properties.Version!);
        }

        var listed = await Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync();

        listed.Select(p => p.Version).Should().Equal(versions);
    }

    [Fact]
    public async Task Models_never_show_the_value_in_ToString()
    {
        var secret = await Secrets.SetSecretAsync("s", "do-not-print-me");

        secret.ToString().Should().NotContain("do-not-print-me").And.Contain("***");
        secret.Properties.ToString().Should().NotContain("do-not-print-me");
        ((await Secrets.StartDeleteSecretAsync("s")).Value).ToString().Should().NotContain("do-not-print-me");
    }

    [Fact]
    public async Task Values_round_trip_any_unicode_text_and_the_25_KiB_limit()
    {
        var texts = new[] { string.Empty, "ünïcødé ✓ 🔑", new string('x', SecretStore.MaxValueBytes), "line1\nline2\0nul" };
        foreach (var text in texts)
        {
            await Secrets.SetSecretAsync("s", text);
            (await Secrets.GetSecretAsync("s")).Value.Should().Be(text);
        }
    }
}
