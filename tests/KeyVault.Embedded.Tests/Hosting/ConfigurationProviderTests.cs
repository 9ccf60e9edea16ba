using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Configuration;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>
/// <c>builder.Configuration.AddEmbeddedVault</c>: what is loaded, under which key, and how it stays current (held:
/// events of this process; polling: the file is free between loads) on a fake clock.
/// </summary>
public sealed class ConfigurationProviderTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeLogCollector _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<IConfigurationRoot> _roots = [];

    public ConfigurationProviderTests()
    {
        _loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
    }

    private string VaultPath => _dir.File("vault.db");

    [Fact]
    public async Task Enabled_secrets_become_keys_with_double_dash_as_colon_and_keys_ignore_case()
    {
        await SeedAsync(async vault =>
        {
            await vault.Secrets.SetSecretAsync("ConnectionStrings--Db", "Server=db;Password=p4ss");
            await vault.Secrets.SetSecretAsync("Plain", "one");
            var off = new KeyVaultSecret("Off", "never");
            off.Properties.Enabled = false;
            await vault.Secrets.SetSecretAsync(off);
            var policy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=app");
            await vault.Certificates.StartCreateCertificateAsync("tls", policy);
        });

        var config = Build();

        config["ConnectionStrings:Db"].Should().Be("Server=db;Password=p4ss");
        config.GetConnectionString("db").Should().Be("Server=db;Password=p4ss", "keys ignore case");
        config["plain"].Should().Be("one");
        config["Off"].Should().BeNull("a disabled secret is never loaded");
        config["tls"].Should().BeNull("a certificate's secret (its private key) stays out of configuration");
        config.AsEnumerable().Where(p => p.Value is not null).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_prefix_filters_and_is_stripped()
    {
        await SeedAsync(async vault =>
        {
            await vault.Secrets.SetSecretAsync("WebApp--Api--Token", "t");
            await vault.Secrets.SetSecretAsync("webapp--Mode", "m");
            await vault.Secrets.SetSecretAsync("Worker--Api--Token", "other");
        });

        var config = Build(o => o.Prefix = "WebApp--");

        config["Api:Token"].Should().Be("t");
        config["Mode"].Should().Be("m", "the prefix ignores case");
        config.AsEnumerable().Where(p => p.Value is not null).Select(p => p.Key).Should().BeEquivalentTo("Api:Token", "Mode");
    }

    [Fact]
    public async Task Expired_secrets_are_loaded_unless_excluded()
    {
        await SeedAsync(async vault =>
        {
            var old = new KeyVaultSecret("Old", "stale");
            old.Properties.ExpiresOn = Start.AddDays(-1);
            await vault.Secrets.SetSecretAsync(old);
            var fresh = new KeyVaultSecret("Fresh", "ok");
            fresh.Properties.ExpiresOn = Start.AddDays(1);
            await vault.Secrets.SetSecretAsync(fresh);
        });

        var all = Build(o => o.ReloadOnChange = false);
        all["Old"].Should().Be("stale");
        await using (var owner = await TestVaults.OpenAsync(VaultPath, _key, _time))
        {
            owner.Should().NotBeNull("without reloading, the file is not held after the load");
        }

        var current = Build(o => o.ExcludeExpired = true);
        current["Old"].Should().BeNull();
        current["Fresh"].Should().Be("ok");
    }

    [Fact]
    public async Task A_change_through_this_process_reloads_and_fires_the_change_token()
    {
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("Feature--Flag", "off"));
        var config = Build();
        await using var shared = await SharedVaults.AcquireAsync(Options(), CancellationToken.None);
        shared.Vault.Should().NotBeNull();

        var changed = Changed(config);
        await shared.Vault.Secrets.SetSecretAsync("Feature--Flag", "on");
        await changed.WaitAsync(Bound);
        config["Feature:Flag"].Should().Be("on");

        changed = Changed(config);
        await shared.Vault.Secrets.SetSecretAsync("Added", "new");
        await changed.WaitAsync(Bound);
        config["Added"].Should().Be("new");

        changed = Changed(config);
        var properties = (await shared.Vault.Secrets.GetSecretAsync("Added")).Properties;
        properties.Enabled = false;
        await shared.Vault.Secrets.UpdateSecretPropertiesAsync(properties);
        await changed.WaitAsync(Bound);
        config["Added"].Should().BeNull("disabling a secret takes it out");

        changed = Changed(config);
        await shared.Vault.Secrets.StartDeleteSecretAsync("Feature--Flag");
        await changed.WaitAsync(Bound);
        config["Feature:Flag"].Should().BeNull("a deleted secret goes");
    }

    [Fact]
    public async Task A_later_user_of_the_open_vault_with_other_anchor_options_is_refused_not_silently_unanchored()
    {
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("s", "v"));
        await using var first = await SharedVaults.AcquireAsync(Options(), CancellationToken.None);
        var anchored = Options();
        anchored.AnchorPath = _dir.File("elsewhere/vault.anchor");

        var refused = await FluentActions.Awaiting(() => SharedVaults.AcquireAsync(anchored, CancellationToken.None)).Should().ThrowAsync<VaultException>();

        refused.Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        refused.Which.Message.Should().Contain("AnchorPath");
        File.Exists(anchored.AnchorPath).Should().BeFalse("the anchor it named would have protected nothing");
        await using var same = await SharedVaults.AcquireAsync(Options(), CancellationToken.None);
        same.Vault.Should().BeSameAs(first.Vault);
    }

    [Fact]
    public async Task Polling_frees_the_file_between_loads_and_sees_another_owners_changes()
    {
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("Value", "1"));
        var config = Build(o => o.ReloadInterval = TimeSpan.FromMinutes(5));
        config["Value"].Should().Be("1");

        // Another owner (as another process would) opens the file between polls, and changes it.
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("Value", "2"));
        config["Value"].Should().Be("1", "nothing is read before the interval");

        var changed = Changed(config);
        _time.Advance(TimeSpan.FromMinutes(5));
        await changed.WaitAsync(Bound);
        config["Value"].Should().Be("2");
    }

    [Fact]
    public async Task A_failed_reload_keeps_the_values_and_is_logged_and_reported()
    {
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("Value", "secret-value-1"));
        var failures = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var config = Build(o =>
        {
            o.ReloadInterval = TimeSpan.FromMinutes(1);
            o.OnReloadFailure = ex => failures.TrySetResult(ex);
        });

        // Another owner holds the file when the poll comes.
        await using (var owner = await TestVaults.OpenAsync(VaultPath, _key, _time))
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            var failure = await failures.Task.WaitAsync(Bound);
            failure.Should().BeOfType<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.VaultInUse);
        }

        config["Value"].Should().Be("secret-value-1", "the previous values stay");
        _logs.GetSnapshot().Should().Contain(r => r.Id == VaultLogEvents.ConfigurationReloadFailed && r.Level == LogLevel.Error);
        _logs.GetSnapshot().Should().NotContain(r => r.Message.Contains("secret-value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_first_load_that_cannot_read_the_vault_throws()
    {
        await SeedAsync(vault => vault.Secrets.SetSecretAsync("Value", "1"));

        var act = () => new ConfigurationBuilder().AddEmbeddedVault(o =>
        {
            o.Vault = TestVaults.Options(VaultPath, TestVaults.NewKey(), _time);
        }).Build();

        act.Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
    }

    [Fact]
    public void Missing_settings_are_named_when_the_source_is_added_and_nothing_is_created()
    {
        using var builder = new ConfigurationManager();
        builder.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:SoftDeleteRetentionDays"] = "3",
        });

        var act = () => builder.AddEmbeddedVault(o => o.ReloadInterval = TimeSpan.Zero);

        var error = act.Should().Throw<VaultException>().Which;
        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("EmbeddedVault:Path is required").And.Contain("EmbeddedVault:Root is required")
            .And.Contain("EmbeddedVault:SoftDeleteRetentionDays is 3").And.Contain("ReloadInterval");
        Directory.EnumerateFileSystemEntries(_dir.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task The_vault_section_of_the_configuration_being_built_is_used()
    {
        var keyFile = _dir.File("root.key");
        SoftwareRootKey.CreateKeyFile(keyFile);
        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, Root = { KeyFile = keyFile } }))
        {
            await vault.Secrets.SetSecretAsync("FromFile", "yes");
        }

        using var manager = new ConfigurationManager();
        manager.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = VaultPath,
            ["EmbeddedVault:Root:KeyFile"] = keyFile,
        });
        manager.AddEmbeddedVault();

        manager["FromFile"].Should().Be("yes");
    }

    public void Dispose()
    {
        foreach (var root in _roots)
        {
            Dispose(root);
        }

        _loggerFactory.Dispose();
        _dir.Dispose();
    }

    private static void Dispose(IConfigurationRoot root) => (root as IDisposable)?.Dispose();

    private static Task Changed(IConfiguration config)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        config.GetReloadToken().RegisterChangeCallback(_ => changed.TrySetResult(), null);
        return changed.Task;
    }

    private EmbeddedVaultOptions Options()
    {
        var options = TestVaults.Options(VaultPath, _key, _time);
        options.LoggerFactory = _loggerFactory;
        return options;
    }

    private IConfigurationRoot Build(Action<EmbeddedVaultConfigurationOptions>? configure = null)
    {
        var root = new ConfigurationBuilder().AddEmbeddedVault(o =>
        {
            o.Vault = Options();
            configure?.Invoke(o);
        }).Build();
        _roots.Add(root);
        return root;
    }

    private async Task SeedAsync(Func<EmbeddedVault, Task> seed)
    {
        await using var vault = await TestVaults.OpenAsync(VaultPath, _key, _time);
        await seed(vault);
    }
}
