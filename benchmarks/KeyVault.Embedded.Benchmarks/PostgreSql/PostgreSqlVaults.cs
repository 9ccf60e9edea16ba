using System.Security.Cryptography;
using KeyVault.Embedded.PostgreSql;
using Npgsql;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>App instances of one vault kept in a <see cref="BenchmarkCluster"/>: each a vault opened on its own data source.</summary>
internal sealed class PostgreSqlVaults : IDisposable
{
    private readonly List<(EmbeddedVault Vault, NpgsqlDataSource DataSource)> _open = [];
    private readonly byte[] _rootKey = RandomNumberGenerator.GetBytes(32);

    public PostgreSqlVaults(BenchmarkCluster cluster, string vaultName = "bench")
    {
        Cluster = cluster;
        VaultName = vaultName;
    }

    public BenchmarkCluster Cluster { get; }

    public string VaultName { get; }

    /// <summary>A new instance of the vault (the first creates it), with the default settings (a poll every second).</summary>
    public EmbeddedVault OpenInstance()
    {
        var dataSource = Cluster.NewDataSource();
        var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_rootKey) };
        options.UsePostgreSql(dataSource, VaultName);
        var vault = EmbeddedVault.OpenAsync(options).GetAwaiter().GetResult();
        _open.Add((vault, dataSource));
        return vault;
    }

    public void Dispose()
    {
        foreach (var (vault, dataSource) in _open)
        {
            vault.Dispose();
            dataSource.Dispose();
        }

        _open.Clear();
    }
}
