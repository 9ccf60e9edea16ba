using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary><c>AddEmbeddedVault(...).UsePkcs11Root()</c>: a host whose vault is rooted in a real SoftHSMv2 token, from configuration.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11HostingTests(SoftHsm hsm) : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_host_roots_its_vault_in_the_token_named_in_configuration()
    {
        var token = hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        var pinFile = _dir.File("pin");
        Files.WriteOwnerOnly(pinFile, SoftHsm.UserPin + "\n");
        var host = Build(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _dir.File("vault.db"),
            ["EmbeddedVault:Root:Pkcs11:ModulePath"] = SoftHsm.ModulePath,
            ["EmbeddedVault:Root:Pkcs11:TokenLabel"] = token,
            ["EmbeddedVault:Root:Pkcs11:KeyLabel"] = "vault-root",
            ["EmbeddedVault:Root:Pkcs11:PinFile"] = pinFile,
        });
        try
        {
            await host.StartAsync();

            var vault = host.Services.GetRequiredService<EmbeddedVault>();
            vault.Properties.RootKind.Should().Be(Pkcs11RootKey.RootKind);
            await host.Services.GetRequiredService<ISecretStore>().SetSecretAsync("s", "v");
            (await host.Services.GetRequiredService<ISecretStore>().GetSecretAsync("s")).Value.Should().Be("v");
            var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            health.Status.Should().Be(HealthStatus.Healthy, "the token wraps the probe key");
            host.Services.GetRequiredService<Pkcs11RootKey>().ToString().Should().NotContain(SoftHsm.UserPin);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task A_later_user_asking_for_the_token_anchor_of_a_vault_open_without_it_is_refused()
    {
        var token = hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        using var plain = new Pkcs11RootKey(SoftHsm.Options(token));
        var anchoredOptions = SoftHsm.Options(token);
        anchoredOptions.UseTokenAnchor = true;
        using var anchored = new Pkcs11RootKey(anchoredOptions);
        var path = _dir.File("vault.db");
        await using var first = await KeyVault.Embedded.Hosting.SharedVaults.AcquireAsync(new EmbeddedVaultOptions { Path = path, RootKey = plain }, CancellationToken.None);

        var refused = await FluentActions.Awaiting(() => KeyVault.Embedded.Hosting.SharedVaults.AcquireAsync(new EmbeddedVaultOptions { Path = path, RootKey = anchored }, CancellationToken.None))
            .Should().ThrowAsync<VaultException>();

        // Before, the second user silently got the first one's vault, unanchored.
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        refused.Which.Message.Should().Contain("UseTokenAnchor");
    }

    [Fact]
    public async Task The_configuration_source_and_the_services_share_a_token_rooted_vault()
    {
        var token = hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        var pinFile = _dir.File("pin");
        Files.WriteOwnerOnly(pinFile, SoftHsm.UserPin);
        var vaultPath = _dir.File("vault.db");
        using var root = new Pkcs11RootKey(SoftHsm.Options(token));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _dir.Path });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = vaultPath,
            ["EmbeddedVault:Root:Pkcs11:ModulePath"] = SoftHsm.ModulePath,
            ["EmbeddedVault:Root:Pkcs11:TokenLabel"] = token,
            ["EmbeddedVault:Root:Pkcs11:KeyLabel"] = "vault-root",
            ["EmbeddedVault:Root:Pkcs11:PinFile"] = pinFile,
        });
        builder.Configuration.AddEmbeddedVault(o => o.Vault.RootKey = root);
        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.Background.Enabled = false).UsePkcs11Root();
        var host = builder.Build();
        try
        {
            await host.StartAsync();

            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var configuration = host.Services.GetRequiredService<IConfiguration>();
            configuration.GetReloadToken().RegisterChangeCallback(_ => changed.TrySetResult(), null);
            await host.Services.GetRequiredService<ISecretStore>().SetSecretAsync("Db--Password", "from-the-token-vault");
            await changed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            configuration["Db:Password"].Should().Be("from-the-token-vault");
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task A_wrong_pin_stops_the_start_and_never_appears_in_a_message_or_a_log()
    {
        const string WrongPin = "wrong-pin-913";
        var token = hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        var pinFile = _dir.File("pin");
        Files.WriteOwnerOnly(pinFile, WrongPin);
        var logs = new FakeLogCollector();
        var host = Build(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _dir.File("vault.db"),
            ["EmbeddedVault:Root:Pkcs11:ModulePath"] = SoftHsm.ModulePath,
            ["EmbeddedVault:Root:Pkcs11:TokenLabel"] = token,
            ["EmbeddedVault:Root:Pkcs11:KeyLabel"] = "vault-root",
            ["EmbeddedVault:Root:Pkcs11:PinFile"] = pinFile,
        }, logs);

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<VaultException>()).Which;
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        error.ErrorCode.Should().Be(Pkcs11ErrorCodes.PinIncorrect);
        error.ToString().Should().NotContain(WrongPin);
        health.Status.Should().Be(HealthStatus.Unhealthy);
        health.Entries.Values.Should().OnlyContain(e => !(e.Description ?? string.Empty).Contains(WrongPin, StringComparison.Ordinal));
        logs.GetSnapshot().Should().NotContain(r => r.Message.Contains(WrongPin, StringComparison.Ordinal) || (r.Exception != null && r.Exception.ToString().Contains(WrongPin, StringComparison.Ordinal)));
        File.Exists(_dir.File("vault.db")).Should().BeFalse("a failed open creates nothing");
        host.Dispose();
    }

    [Fact]
    public async Task Bad_token_settings_stop_the_host_at_start_naming_each_setting()
    {
        var host = Build(new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = _dir.File("vault.db"),
            ["EmbeddedVault:Root:Pkcs11:ModulePath"] = "/nowhere/libpkcs11.so",
            ["EmbeddedVault:Root:Pkcs11:TokenLabel"] = "t",
            ["EmbeddedVault:Root:Pkcs11:SlotId"] = "1",
            ["EmbeddedVault:Root:Pkcs11:KeyId"] = "xyz",
        });

        var error = (await host.Invoking(h => h.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Failures.Should().BeEquivalentTo(
            "EmbeddedVault:Root:Pkcs11:ModulePath names '/nowhere/libpkcs11.so', which does not exist.",
            "EmbeddedVault:Root:Pkcs11:TokenLabel or SlotId is required, not both: which token holds the root key.",
            "EmbeddedVault:Root:Pkcs11:KeyId must be hexadecimal (two digits per byte).",
            "EmbeddedVault:Root:Pkcs11:PinFile or PinEnvironmentVariable is required, not both: where the user PIN is (never the PIN itself in configuration).");
        File.Exists(_dir.File("vault.db")).Should().BeFalse();
        host.Dispose();
    }

    public void Dispose() => _dir.Dispose();

    private IHost Build(Dictionary<string, string?> settings, FakeLogCollector? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _dir.Path });
        builder.Configuration.AddInMemoryCollection(settings);
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs));
        }

        builder.Services.AddEmbeddedVault(builder.Configuration, o => o.Background.Enabled = false).UsePkcs11Root();
        builder.Services.AddHealthChecks().AddEmbeddedVault();
        return builder.Build();
    }
}
