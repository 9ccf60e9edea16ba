using KeyVault.Embedded.Access;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>The health check: open, root reachable, writes possible, and what is near expiry.</summary>
public sealed class HealthCheckTests : HostingTestBase
{
    private readonly SwitchableRootKey _root = new(TestVaults.NewKey());
    private SpyRecordStore? _store;

    [Fact]
    public async Task An_open_vault_with_nothing_expiring_is_healthy()
    {
        var host = await StartAsync();

        var report = await CheckAsync(host);

        report.Status.Should().Be(HealthStatus.Healthy);
        var entry = report.Entries["embedded-vault"];
        entry.Data["vaultId"].Should().Be(host.Services.GetRequiredService<EmbeddedVault>().Properties.VaultId.ToString("N"));
        entry.Data["nearExpiry"].Should().Be(0);
    }

    [Fact]
    public async Task Secrets_near_expiry_or_expired_make_it_degraded()
    {
        var host = await StartAsync();
        var soon = new KeyVaultSecret("soon", "v");
        soon.Properties.ExpiresOn = Start.AddDays(10);
        await host.Services.GetRequiredService<ISecretStore>().SetSecretAsync(soon);

        var near = await CheckAsync(host);
        near.Status.Should().Be(HealthStatus.Degraded);
        near.Entries["embedded-vault"].Data["nearExpiry"].Should().Be(1);

        Time.Advance(TimeSpan.FromDays(11));
        var expired = await CheckAsync(host);
        expired.Status.Should().Be(HealthStatus.Degraded);
        expired.Entries["embedded-vault"].Data["expired"].Should().Be(1);
    }

    [Fact]
    public async Task An_unreachable_root_is_unhealthy_and_recovers_when_it_is_back()
    {
        var host = await StartAsync();

        _root.Unreachable = true;
        var report = await CheckAsync(host);
        report.Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["embedded-vault"].Description.Should().Contain("root key is unreachable");

        _root.Unreachable = false;
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_vault_that_cannot_write_is_unhealthy()
    {
        var host = await StartAsync();
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy);

        _store!.FailWrites = new IOException("No space left on device");
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy, "the write probe runs at most once a minute");
        Time.Advance(TimeSpan.FromMinutes(1));
        var report = await CheckAsync(host);

        report.Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["embedded-vault"].Description.Should().Contain("cannot write");
        (await CheckAsync(host)).Entries["embedded-vault"].Description.Should().Contain("refuses writes", "the failed write faulted the vault");
    }

    [Fact]
    public async Task A_root_that_fails_at_open_is_not_retried_by_every_probe()
    {
        var wrongRoot = new CountingRootKey(TestVaults.NewKey());
        await using (await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = _root }))
        {
        }

        var builder = NewBuilder(new Dictionary<string, string?>());
        builder.Services.AddEmbeddedVault(o =>
        {
            o.Path = VaultPath;
            o.RootKey = wrongRoot;
        });
        builder.Services.AddHealthChecks().AddEmbeddedVault();
        var host = Track(builder.Build());

        (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        Time.Advance(TimeSpan.FromMinutes(5));
        var report = await CheckAsync(host);
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Unhealthy);

        report.Entries["embedded-vault"].Description.Should().Contain("RootKeyMismatch");
        wrongRoot.Opens.Should().Be(1, "a wrong root (or PIN) is not tried again: a token would lock its PIN");
    }

    [Fact]
    public async Task A_closed_vault_is_reported_with_the_registered_failure_status()
    {
        var host = await StartAsync(HealthStatus.Degraded);

        var vault = host.Services.GetRequiredService<EmbeddedVault>();
        await vault.DisposeAsync();
        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy, "the host owns its vault: disposing it yourself does nothing");
        vault.Close(); // as if closed under the host

        var report = await CheckAsync(host);
        report.Status.Should().Be(HealthStatus.Degraded);
        report.Entries["embedded-vault"].Description.Should().Be("The vault is closed.");
    }

    [Fact]
    public async Task The_probe_is_an_operation_its_principal_must_be_allowed_to_run()
    {
        var ops = new VaultPrincipal("ops", "health probe", VaultPrincipalKind.Service);
        var host = await StartAsync(configure: o => o.Background.Principal = ops);
        var vault = host.Services.GetRequiredService<EmbeddedVault>();
        var admin = new VaultPrincipal("admin");
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
        using (vault.RunAs(admin))
        {
            await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }

        Time.Advance(TimeSpan.FromMinutes(1));
        var written = _store!.Written.Count;
        var refused = await CheckAsync(host);

        refused.Status.Should().Be(HealthStatus.Unhealthy);
        refused.Entries["embedded-vault"].Description.Should().Contain("may not probe the vault");
        ((VaultException)refused.Entries["embedded-vault"].Exception!).InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac);
        _store.Written.Count.Should().Be(written, "a refused probe writes nothing");

        using (vault.RunAs(admin))
        {
            await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, ops.ObjectId);
        }

        (await CheckAsync(host)).Status.Should().Be(HealthStatus.Healthy);
        _store.Written.Count.Should().BeGreaterThan(written, "the allowed probe made its durable write");
    }

    private async Task<IHost> StartAsync(HealthStatus? failureStatus = null, Action<EmbeddedVaultOptions>? configure = null)
    {
        var builder = NewBuilder(new Dictionary<string, string?>());
        builder.Services.AddEmbeddedVault(o =>
        {
            o.Path = VaultPath;
            o.RootKey = _root;
            o.Background.Enabled = false;
            o.StoreFactory = path => _store = new SpyRecordStore(KeyVault.Embedded.Storage.LiteDbRecordStore.Open(path));
            configure?.Invoke(o);
        });
        builder.Services.AddHealthChecks().AddEmbeddedVault(failureStatus: failureStatus);
        var host = Track(builder.Build());
        await host.StartAsync();
        return host;
    }

    private sealed class CountingRootKey(byte[] key) : IRootKeyProvider
    {
        private readonly SoftwareRootKey _inner = SoftwareRootKey.FromBytes(key);

        public int Opens { get; private set; }

        public string Kind => _inner.Kind;

        public ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default)
        {
            Opens++;
            return _inner.OpenAsync(context, cancellationToken);
        }
    }

    private static Task<HealthReport> CheckAsync(IHost host) => host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
}
