using System.Net;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.DataProtection;

/// <summary>
/// Two app instances on one vault in PostgreSQL (a private cluster): a cookie and an antiforgery token issued by one
/// validate on the other, which never saw them, because the key ring is the shared vault's.
/// </summary>
public sealed class DataProtectionPostgreSqlTests(PostgreSqlCluster cluster) : IClassFixture<PostgreSqlCluster>, IDisposable
{
    private readonly TempDirectory _one = new();
    private readonly TempDirectory _two = new();

    public void Dispose()
    {
        _one.Dispose();
        _two.Dispose();
    }

    [Fact]
    public async Task A_cookie_and_an_antiforgery_token_from_one_instance_validate_on_another()
    {
        SoftwareRootKey.CreateKeyFile(_one.File("root.key"));
        File.Copy(_one.File("root.key"), _two.File("root.key"));

        // Two instances in one process: the second reaches the server by another name, so the process shares no vault
        // between them (a vault is shared in-process by its location) and each keeps its own view and cache.
        var viaAddress = cluster.ConnectionString;
        var viaName = viaAddress.Replace("Host=127.0.0.1", "Host=localhost", StringComparison.Ordinal);
        await using var first = await DataProtectionApp.StartAsync(_one.Path, viaAddress, DataProtectionTests.CreateWrapKeyAsync);
        var auth = (await first.SendAsync(HttpMethod.Get, "/login")).Cookies;
        var form = await first.SendAsync(HttpMethod.Get, "/form");

        await using var second = await DataProtectionApp.StartAsync(_two.Path, viaName);
        ReferenceEquals(first.Vault, second.Vault).Should().BeFalse();

        (await second.SendAsync(HttpMethod.Get, "/me", auth)).Body.Should().Be("alice");
        (await second.SendAsync(HttpMethod.Post, "/form", form.Cookies, form.Body)).Status.Should().Be(HttpStatusCode.OK);
        File.Exists(_two.File("vault.db")).Should().BeFalse("the vault is in the database, not in a file");
    }
}
