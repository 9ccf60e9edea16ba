using KeyVault.Embedded.Access;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary><c>services.AddEmbeddedVault</c>: validation at start, one vault behind every store, its lifetime, sharing with configuration.</summary>
public sealed class ServiceRegistrationTests : HostingTestBase
{
    [Fact]
    public async Task Bad_settings_stop_the_host_at_start_naming_each_setting_and_create_nothing()
    {
        var builder = NewBuilder(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Root:KeyFile"] = Dir.File("missing.key"),
            ["EmbeddedVault:SoftDeleteRetentionDays"] = "3",
            ["EmbeddedVault:Background:Interval"] = "00:00:00",
        });
        builder.Services.AddEmbeddedVault(builder.Configuration);
        var host = Track(builder.Build());

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().BeEquivalentTo(
            "EmbeddedVault:Path is required: the vault file to open or create (or a database: UsePostgreSql with the PostgreSQL package).",
            $"EmbeddedVault:Root:KeyFile names '{Dir.File("missing.key")}', which does not exist (create one with SoftwareRootKey.CreateKeyFile).",
            "EmbeddedVault:SoftDeleteRetentionDays is 3: it must be between 7 and 90 days.",
            "EmbeddedVault:Background:Interval is 00:00:00: it must be between one second and 49 days.");
        Directory.EnumerateFiles(Dir.Path).Should().BeEquivalentTo([KeyFile], "nothing was created");
    }

    [Fact]
    public async Task Options_given_in_code_are_validated_too_and_two_roots_are_refused()
    {
        var builder = NewBuilder(new Dictionary<string, string?>());
        builder.Services.AddEmbeddedVault(o =>
        {
            o.Path = VaultPath;
            o.Root.KeyFile = KeyFile;
            o.RootKey = SoftwareRootKey.FromBytes(Support.TestVaults.NewKey());
        });
        var host = Track(builder.Build());

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().ContainSingle().Which.Should().StartWith("EmbeddedVault:Root names more than one root of trust");
        File.Exists(VaultPath).Should().BeFalse();
    }

    [Fact]
    public async Task Every_store_is_a_singleton_over_one_vault_opened_at_start_and_closed_with_the_host()
    {
        var builder = NewBuilder();
        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.Background.Enabled = false);
        var host = builder.Build();
        await host.StartAsync();
        File.Exists(VaultPath).Should().BeTrue("the vault opens when the host starts");

        var vault = host.Services.GetRequiredService<EmbeddedVault>();
        host.Services.GetRequiredService<ISecretStore>().Should().BeSameAs(vault.Secrets);
        host.Services.GetRequiredService<IKeyStore>().Should().BeSameAs(vault.Keys);
        host.Services.GetRequiredService<ICertificateStore>().Should().BeSameAs(vault.Certificates);
        await host.Services.GetRequiredService<ISecretStore>().SetSecretAsync("s", "v");
        vault.Properties.SoftDeleteRetentionDays.Should().Be(90);

        (await OpenDirectlyAsync().Invoking(t => t).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.VaultInUse);
        await DisposeHostAsync(host);

        await using var reopened = await OpenDirectlyAsync();
        (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task The_configuration_provider_and_the_services_share_one_vault_and_changes_reload_configuration()
    {
        var builder = NewBuilder();
        builder.Configuration.AddEmbeddedVault(o => o.Vault.TimeProvider = Time);
        builder.Services.AddEmbeddedVault(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        configuration["Api:Key"].Should().BeNull();

        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        configuration.GetReloadToken().RegisterChangeCallback(_ => changed.TrySetResult(), null);
        await host.Services.GetRequiredService<ISecretStore>().SetSecretAsync("Api--Key", "k-1");
        await changed.Task.WaitAsync(Bound);

        configuration["Api:Key"].Should().Be("k-1");
        Logs.GetSnapshot().Should().Contain(r => r.Id == VaultLogEvents.SecretOperation, "the shared vault logs through the host's logger");

        await DisposeHostAsync(host);
        await using var reopened = await OpenDirectlyAsync();
        (await reopened.Secrets.GetSecretAsync("Api--Key")).Value.Should().Be("k-1", "both shares were released with the host");
    }

    [Fact]
    public async Task The_hosts_caller_accessor_applies_even_when_the_configuration_source_opened_the_vault_first()
    {
        var web = new VaultPrincipal("web-oid", "web");
        var builder = NewBuilder();
        builder.Configuration.AddEmbeddedVault(o => o.Vault.TimeProvider = Time); // opens the shared vault, with no accessor
        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.CallerAccessor = new FixedCaller(web));
        var host = Track(builder.Build());
        await host.StartAsync();
        var vault = host.Services.GetRequiredService<EmbeddedVault>();
        var admin = new VaultPrincipal("admin-oid");
        await vault.Secrets.SetSecretAsync("mine", "1");
        await vault.Secrets.SetSecretAsync("theirs", "2");
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("mine"), KeyVaultRoles.SecretsUser.Id, web.ObjectId);
        using (vault.RunAs(admin))
        {
            await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }

        // No RunAs: the caller is whoever the host's accessor names.
        (await vault.Secrets.GetSecretAsync("mine")).Value.Should().Be("1");
        var refused = await FluentActions.Awaiting(() => vault.Secrets.GetSecretAsync("theirs")).Should().ThrowAsync<VaultException>();
        refused.Which.Message.Should().Contain("web-oid");
    }

    private sealed class FixedCaller(VaultPrincipal principal) : IVaultCallerAccessor
    {
        public VaultPrincipal? GetCaller() => principal;
    }

    [Fact]
    public async Task Without_a_host_the_vault_opens_at_first_use_and_closes_with_the_provider()
    {
        var services = new ServiceCollection();
        services.AddEmbeddedVault(o =>
        {
            o.Path = VaultPath;
            o.Root.KeyFile = KeyFile;
        });
        var provider = services.BuildServiceProvider();
        File.Exists(VaultPath).Should().BeFalse();

        await provider.GetRequiredService<ISecretStore>().SetSecretAsync("s", "v");
        File.Exists(VaultPath).Should().BeTrue();
        await provider.DisposeAsync();

        await using var reopened = await OpenDirectlyAsync();
        (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task Sharing_an_open_vault_proves_the_root_and_the_clock_and_may_turn_purge_protection_on()
    {
        var otherKey = Dir.File("other.key");
        SoftwareRootKey.CreateKeyFile(otherKey);
        using var configuration = new ConfigurationManager();
        configuration.AddEmbeddedVault(o =>
        {
            o.Vault.Path = VaultPath;
            o.Vault.Root.KeyFile = KeyFile;
            o.Vault.TimeProvider = Time;
        });

        var wrongRoot = await StartSharingAsync(o => o.Root.KeyFile = otherKey);
        (await wrongRoot.Invoking(h => h.StartAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);

        var otherClock = await StartSharingAsync(o => o.TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        (await otherClock.Invoking(h => h.StartAsync()).Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("TimeProvider");

        var same = await StartSharingAsync(o => o.EnablePurgeProtection = true);
        await same.StartAsync();
        same.Services.GetRequiredService<EmbeddedVault>().Properties.PurgeProtectionEnabled.Should().BeTrue("a later user may turn it on");
    }

    [Fact]
    public async Task A_configuration_that_outlives_the_host_keeps_the_vault_open_until_it_goes()
    {
        var configuration = new ConfigurationManager();
        configuration.AddEmbeddedVault(o =>
        {
            o.Vault.Path = VaultPath;
            o.Vault.Root.KeyFile = KeyFile;
            o.Vault.TimeProvider = Time;
        });
        var host = await StartSharingAsync(_ => { });
        await host.StartAsync();
        var vault = host.Services.GetRequiredService<EmbeddedVault>();
        await DisposeHostAsync(host);

        await vault.Secrets.SetSecretAsync("Still", "open"); // the host's container did not close the shared vault
        (await OpenDirectlyAsync().Invoking(t => t).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.VaultInUse);
        ((IConfigurationRoot)configuration).Reload();
        configuration["Still"].Should().Be("open");

        configuration.Dispose();
        await using var reopened = await OpenDirectlyAsync();
        (await reopened.Secrets.GetSecretAsync("Still")).Value.Should().Be("open");
    }

    [Fact]
    public async Task Intervals_a_timer_cannot_take_are_refused_by_name()
    {
        var builder = NewBuilder();
        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.Background.Interval = TimeSpan.FromDays(60));
        var host = Track(builder.Build());

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().ContainSingle().Which.Should().Be("EmbeddedVault:Background:Interval is 60.00:00:00: it must be between one second and 49 days.");
        var source = () => new ConfigurationBuilder().AddEmbeddedVault(o =>
        {
            o.Vault.Path = VaultPath;
            o.Vault.Root.KeyFile = KeyFile;
            o.ReloadInterval = TimeSpan.FromDays(60);
            o.Prefix = "App:";
        });
        source.Should().Throw<VaultException>().Which.Message.Should().Contain("ReloadInterval is 60.00:00:00").And.Contain("Prefix is 'App:'");
    }

    private Task<IHost> StartSharingAsync(Action<EmbeddedVaultOptions> configure)
    {
        var builder = NewBuilder();
        builder.Services.AddEmbeddedVault(builder.Configuration, o =>
        {
            o.Background.Enabled = false;
            configure(o);
        });
        return Task.FromResult(Track(builder.Build()));
    }
}
