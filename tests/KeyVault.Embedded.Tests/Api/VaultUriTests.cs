using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>An optional vault URI makes every object id look like Azure's; the stored vault does not change.</summary>
public sealed class VaultUriTests : VaultTestBase
{
    [Fact]
    public async Task Object_ids_use_the_vault_uri_when_one_is_given_and_the_default_otherwise()
    {
        var set = await Secrets.SetSecretAsync("db", "v");
        set.Id!.ToString().Should().StartWith($"embeddedvault://{Vault.Properties.VaultId:N}/secrets/db/");

        await ReopenAsync(o => o.VaultUri = new Uri("https://myvault.example/"));

        var secret = await Secrets.GetSecretAsync("db");
        secret.Id.Should().Be(new Uri($"https://myvault.example/secrets/db/{set.Properties.Version}"));
        secret.Properties.VaultUri.Should().Be(new Uri("https://myvault.example/"));
        var key = await Vault.Keys.CreateEcKeyAsync(new KeyVault.Embedded.Keys.CreateEcKeyOptions("k"));
        key.Id!.ToString().Should().StartWith("https://myvault.example/keys/k/");
        Vault.Properties.VaultUri.Should().Be(new Uri("https://myvault.example/"));
    }

    [Theory]
    [InlineData("ftp://myvault.example/")]
    [InlineData("https://myvault.example/vault")]
    [InlineData("https://myvault.example/?x=1")]
    [InlineData("https://user@myvault.example/")]
    public async Task A_vault_uri_that_is_not_a_base_is_a_bad_parameter(string uri)
    {
        var options = TestVaults.Options(Dir.File("other.db"), Key, Time);
        options.VaultUri = new Uri(uri);

        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(options)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("VaultUri");
        File.Exists(options.Path).Should().BeFalse();
    }
}
