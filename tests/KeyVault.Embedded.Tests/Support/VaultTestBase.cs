using KeyVault.Embedded.Secrets;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>A vault in a fresh folder on a fake clock, opened before each test and closed after.</summary>
public abstract class VaultTestBase : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected TempDirectory Dir { get; } = new();

    protected byte[] Key { get; } = TestVaults.NewKey();

    protected FakeTimeProvider Time { get; } = new(Start);

    protected EmbeddedVault Vault { get; private set; } = null!;

    protected string VaultPath => Dir.File("vault.db");

    protected ISecretStore Secrets => Vault.Secrets;

    public virtual async Task InitializeAsync() => Vault = await TestVaults.OpenAsync(VaultPath, Key, Time, Configure);

    public virtual async Task DisposeAsync()
    {
        await Vault.DisposeAsync();
        Dir.Dispose();
    }

    protected virtual void Configure(EmbeddedVaultOptions options)
    {
    }

    protected async Task ReopenAsync(Action<EmbeddedVaultOptions>? configure = null)
    {
        await Vault.DisposeAsync();
        Vault = await TestVaults.OpenAsync(VaultPath, Key, Time, configure ?? Configure);
    }
}
