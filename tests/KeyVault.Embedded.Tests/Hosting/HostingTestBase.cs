using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>Hosts built like an app's (no defaults read from the working folder), on a fake clock, logging to a collector.</summary>
public abstract class HostingTestBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly List<IHost> _hosts = [];

    protected TempDirectory Dir { get; } = new();

    protected FakeTimeProvider Time { get; } = new(Start);

    protected FakeLogCollector Logs { get; } = new();

    protected string VaultPath => Dir.File("vault.db");

    protected string KeyFile => Dir.File("root.key");

    public virtual Task InitializeAsync()
    {
        SoftwareRootKey.CreateKeyFile(KeyFile);
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await DisposeHostAsync(host);
        }

        Dir.Dispose();
    }

    protected HostApplicationBuilder NewBuilder(IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test", ContentRootPath = Dir.Path });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>
        {
            ["EmbeddedVault:Path"] = VaultPath,
            ["EmbeddedVault:Root:KeyFile"] = KeyFile,
        });
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs));
        return builder;
    }

    protected IHost Track(IHost host)
    {
        _hosts.Add(host);
        return host;
    }

    protected static async Task DisposeHostAsync(IHost host)
    {
        await host.StopAsync();
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>Opens the vault file directly (the way a second owner would): proves nobody holds it.</summary>
    protected Task<EmbeddedVault> OpenDirectlyAsync() =>
        EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, Root = { KeyFile = KeyFile }, TimeProvider = Time });
}
