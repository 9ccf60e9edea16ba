using KeyVault.Embedded.PostgreSql;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// Several instances of one vault kept in a private PostgreSQL cluster (one per test class), each instance a vault
/// opened on its own data source, as separate app instances are. Each test has a vault name of its own.
/// </summary>
public abstract class SharedVaultTestBase : IClassFixture<PostgreSqlCluster>, IAsyncDisposable
{
    private readonly List<EmbeddedVault> _open = [];

    protected SharedVaultTestBase(PostgreSqlCluster cluster)
    {
        Cluster = cluster;
    }

    protected PostgreSqlCluster Cluster { get; }

    protected string VaultName { get; } = "vault-" + Guid.NewGuid().ToString("N")[..12];

    protected byte[] Key { get; } = TestVaults.NewKey();

    /// <summary>A clock that stands still (so that no poll fires: what an instance sees, it heard or asked for).</summary>
    protected static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected async Task<EmbeddedVault> OpenInstanceAsync(TimeProvider? time = null, Action<EmbeddedVaultOptions>? configure = null, string? connectionString = null)
    {
        var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(Key), TimeProvider = time ?? Clock() };
        options.UsePostgreSql(new PostgreSqlVaultOptions { ConnectionString = connectionString ?? Cluster.ConnectionString, VaultName = VaultName });
        configure?.Invoke(options);
        var vault = await EmbeddedVault.OpenAsync(options);
        _open.Add(vault);
        return vault;
    }

    /// <summary>An instance that does not listen for other instances' commits: it sees them only when it asks (a refresh, a write).</summary>
    protected Task<EmbeddedVault> OpenDeafAsync(Action<EmbeddedVaultOptions>? configure = null, string? vaultName = null) =>
        OpenInstanceAsync(configure: o =>
        {
            o.StoreProvider = null;
            o.Path = "deaf-instance-of-" + (vaultName ?? VaultName);
            o.StoreFactory = _ => PostgreSqlRecordStore.OpenAsync(NpgsqlDataSource.Create(Cluster.ConnectionString), vaultName ?? VaultName, ownsDataSource: true, listen: false).AsTask().GetAwaiter().GetResult();
            configure?.Invoke(o);
        });

    /// <summary>Creates EC key <paramref name="name"/> on <paramref name="vault"/> with a policy that rotates it 30 days after creation.</summary>
    protected static async Task CreateKeyRotatedAfter30DaysAsync(EmbeddedVault vault, string name)
    {
        await vault.Keys.CreateEcKeyAsync(new KeyVault.Embedded.Keys.CreateEcKeyOptions(name));
        var policy = new KeyVault.Embedded.Keys.KeyRotationPolicy { ExpiresIn = "P90D" };
        policy.LifetimeActions.Add(new KeyVault.Embedded.Keys.KeyRotationLifetimeAction(KeyVault.Embedded.Keys.KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P30D" });
        await vault.Keys.UpdateKeyRotationPolicyAsync(name, policy);
    }

    /// <summary>Completes when <paramref name="vault"/> has caught up to at least <paramref name="generation"/> (by what it heard).</summary>
    protected static Task CaughtUpAsync(EmbeddedVault vault, long generation)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        vault.Core.Sync!.CaughtUp += g =>
        {
            if (g >= generation)
            {
                reached.TrySetResult();
            }
        };
        if (vault.Core.Generation >= generation)
        {
            reached.TrySetResult();
        }

        return reached.Task;
    }

    /// <summary>Waits (a query at a time, bounded) until <paramref name="countSql"/> counts at least one row.</summary>
    protected async Task UntilAsync(string countSql)
    {
        var bound = System.Diagnostics.Stopwatch.StartNew();
        while (await Cluster.ScalarAsync<long>(countSql) == 0)
        {
            bound.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30));
            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var vault in _open)
        {
            await vault.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
