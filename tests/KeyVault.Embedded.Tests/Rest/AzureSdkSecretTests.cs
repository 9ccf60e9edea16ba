using Azure;
using Azure.Security.KeyVault.Secrets;
using KeyVault.Embedded.Access;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// The Azure SDK for .NET's <see cref="SecretClient"/> (Azure.Security.KeyVault.Secrets 4.12.0), unmodified but for the
/// vault URL and the credential, against the REST front over HTTPS: the challenge, every secret operation, paging.
/// </summary>
public sealed class AzureSdkSecretTests : IAsyncLifetime
{
    private RestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app-1", KeyVaultRoles.SecretsOfficer);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Set_get_update_and_versions_round_trip_through_the_sdk()
    {
        var client = _server.Secrets("app-1");

        KeyVaultSecret first = await client.SetSecretAsync(new KeyVaultSecret("db-password", "s3cr3t-one") { Properties = { ContentType = "text/plain", Tags = { ["team"] = "orders" } } });
        KeyVaultSecret second = await client.SetSecretAsync("db-password", "s3cr3t-two");
        KeyVaultSecret current = await client.GetSecretAsync("DB-PASSWORD");
        KeyVaultSecret old = await client.GetSecretAsync("db-password", first.Properties.Version);

        first.Properties.ContentType.Should().Be("text/plain");
        first.Properties.Tags.Should().Contain("team", "orders");
        first.Id.Should().Be(new Uri(_server.VaultUri, $"secrets/db-password/{first.Properties.Version}"), "ids name the vault at the URL the client used");
        current.Value.Should().Be("s3cr3t-two");
        current.Properties.Version.Should().Be(second.Properties.Version);
        old.Value.Should().Be("s3cr3t-one");
        old.Properties.CreatedOn.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(2));

        old.Properties.Enabled = false;
        old.Properties.ExpiresOn = new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero);
        SecretProperties updated = await client.UpdateSecretPropertiesAsync(old.Properties);
        updated.Enabled.Should().BeFalse();
        updated.ExpiresOn.Should().Be(new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var disabled = await FluentActions.Awaiting(() => client.GetSecretAsync("db-password", first.Properties.Version)).Should().ThrowAsync<RequestFailedException>();
        disabled.Which.Status.Should().Be(403);
        disabled.Which.ErrorCode.Should().Be("Forbidden");

        var versions = new List<SecretProperties>();
        await foreach (var version in client.GetPropertiesOfSecretVersionsAsync("db-password"))
        {
            versions.Add(version);
        }

        versions.Select(v => v.Version).Should().BeEquivalentTo([first.Properties.Version, second.Properties.Version]);
        versions.Single(v => v.Version == first.Properties.Version).Enabled.Should().BeFalse();
    }

    [Fact]
    public async Task Listing_follows_next_links_over_more_than_one_page()
    {
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            for (var i = 0; i < 31; i++)
            {
                await _server.Vault.Secrets.SetSecretAsync($"page-{i:D2}", "v");
            }
        }

        var client = _server.Secrets("app-1");
        var pages = 0;
        var names = new List<string>();
        await foreach (var page in client.GetPropertiesOfSecretsAsync().AsPages())
        {
            pages++;
            names.AddRange(page.Values.Select(v => v.Name));
        }

        pages.Should().BeGreaterThan(1, "25 per page at most, as Azure");
        names.Where(n => n.StartsWith("page-", StringComparison.Ordinal)).Should().HaveCount(31).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Delete_recover_purge_and_the_deleted_collection_work_through_the_sdk()
    {
        var client = _server.Secrets("app-1");
        await client.SetSecretAsync("temp", "value-1");

        DeleteSecretOperation deleting = await client.StartDeleteSecretAsync("temp");
        DeletedSecret deleted = await deleting.WaitForCompletionAsync();
        deleted.Name.Should().Be("temp");
        deleted.ScheduledPurgeDate.Should().BeAfter(DateTimeOffset.UtcNow.AddDays(6));
        deleted.RecoveryId.Should().Be(new Uri(_server.VaultUri, "deletedsecrets/temp"));
        (await FluentActions.Awaiting(() => client.GetSecretAsync("temp")).Should().ThrowAsync<RequestFailedException>()).Which.Status.Should().Be(404);

        var listed = new List<string>();
        await foreach (var item in client.GetDeletedSecretsAsync())
        {
            listed.Add(item.Name);
        }

        listed.Should().Contain("temp");
        RecoverDeletedSecretOperation recovering = await client.StartRecoverDeletedSecretAsync("temp");
        await recovering.WaitForCompletionAsync();
        (await client.GetSecretAsync("temp")).Value.Value.Should().Be("value-1");

        await (await client.StartDeleteSecretAsync("temp")).WaitForCompletionAsync();
        await client.PurgeDeletedSecretAsync("temp");
        (await FluentActions.Awaiting(() => client.GetDeletedSecretAsync("temp")).Should().ThrowAsync<RequestFailedException>()).Which.Status.Should().Be(404);
    }

    [Fact]
    public async Task Backup_and_restore_round_trip_through_the_sdk()
    {
        var client = _server.Secrets("app-1");
        await client.SetSecretAsync("portable", "carry-me");
        byte[] backup = await client.BackupSecretAsync("portable");
        await (await client.StartDeleteSecretAsync("portable")).WaitForCompletionAsync();
        await client.PurgeDeletedSecretAsync("portable");

        SecretProperties restored = await client.RestoreSecretBackupAsync(backup);

        restored.Name.Should().Be("portable");
        (await client.GetSecretAsync("portable")).Value.Value.Should().Be("carry-me");
        var again = await FluentActions.Awaiting(() => client.RestoreSecretBackupAsync(backup)).Should().ThrowAsync<RequestFailedException>();
        again.Which.Status.Should().Be(409, "the name is in use");
    }

    [Fact]
    public async Task The_sdk_asks_the_credential_for_the_challenge_resource()
    {
        var credential = new RestServer.StaticTokenCredential(_server.Token("app-1"));
        var client = new SecretClient(_server.VaultUri, credential, new SecretClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(_server.Handler()) });

        await client.SetSecretAsync("challenged", "x");

        credential.Scopes.Should().Contain(RestServer.Audience + "/.default");
    }
}
