using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// A private PostgreSQL cluster for the tests: <c>initdb</c> in a temporary folder, <c>pg_ctl start</c> on a free
/// loopback port (as the unprivileged user <c>postgres</c> when the tests run as root, since <c>initdb</c> refuses root),
/// stopped and deleted at the end. Never a shared server. PostgreSQL missing is a failure, not a skip: CI installs
/// <c>postgresql-15</c>.
/// </summary>
public sealed class PostgreSqlCluster : IDisposable
{
    private const string User = "kv";
    private readonly string _folder;
    private readonly string _data;
    private readonly string _bin;
    private readonly bool _asPostgres;

    private readonly bool _standby;

    /// <summary>A standby of <paramref name="primary"/>: <c>pg_basebackup</c> of it, streaming from it, on a port of its own.</summary>
    private PostgreSqlCluster(PostgreSqlCluster primary)
    {
        _bin = primary._bin;
        _folder = primary._folder;
        _asPostgres = primary._asPostgres;
        _standby = true;
        _data = Path.Combine(_folder, "standby-" + Guid.NewGuid().ToString("N")[..8]);
        Port = FreePort();
        PgRun("pg_basebackup", "-h", "127.0.0.1", "-p", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, "-D", _data, "-R", "-X", "stream", "--no-sync");
        Start();
    }

    public PostgreSqlCluster()
    {
        _bin = FindBin();
        _folder = Path.Combine(Path.GetTempPath(), "kv-pg-" + Guid.NewGuid().ToString("N"));
        _data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(_folder);
        _asPostgres = Environment.UserName == "root";
        if (_asPostgres)
        {
            Run("chown", "postgres:postgres", _folder);
        }

        Port = FreePort();
        PgRun("initdb", "-D", _data, "-A", "trust", "-U", User, "--no-sync", "-E", "UTF8");
        Start();
    }

    /// <summary>The cluster's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A connection string to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={User};Database=postgres;Pooling=true";

    /// <summary>A new data source (an app instance of its own).</summary>
    public NpgsqlDataSource NewDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>The cluster's data directory (its files, for scans).</summary>
    public string DataDirectory => _data;

    /// <summary>Stops the server at once (<c>-m immediate</c>: as a crash, no checkpoint; connections are cut).</summary>
    public void Stop() => PgRun("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop");

    /// <summary>Starts the server again on the same port.</summary>
    public void Start() => PgRun("pg_ctl", "-D", _data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1", "start");

    /// <summary>
    /// Starts a streaming standby of this cluster, with synchronous commit: from then on a commit here returns once the
    /// standby has it (<c>synchronous_standby_names = '*'</c>, <c>synchronous_commit = on</c>).
    /// </summary>
    public async Task<PostgreSqlCluster> StartSynchronousStandbyAsync()
    {
        var standby = new PostgreSqlCluster(this);
        await ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await ScalarAsync<bool>("SELECT pg_reload_conf()");
        for (var attempt = 0; attempt < 600 && await ScalarAsync<long>("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 0; attempt++)
        {
            await Task.Yield(); // the standby connects within moments; each query is a round trip
        }

        (await ScalarAsync<long>("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")).Should().Be(1, "the standby streams synchronously");
        return standby;
    }

    /// <summary>Promotes a standby to a primary (<c>pg_ctl promote</c>, waiting until it accepts writes).</summary>
    public void Promote() => PgRun("pg_ctl", "-D", _data, "-w", "-t", "60", "promote");

    /// <summary>Runs SQL statements, outside any store.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var source = NewDataSource();
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query for one value, outside any store.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var source = NewDataSource();
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(_data, "postmaster.pid")))
            {
                Stop();
            }
        }
        finally
        {
            if (_standby)
            {
                // The primary owns the folder and deletes it (a standby's data directory lies inside it).
                NpgsqlConnection.ClearAllPools();
            }
            else
            {
                NpgsqlConnection.ClearAllPools();
                Directory.Delete(_folder, recursive: true);
            }
        }
    }

    private static string FindBin()
    {
        foreach (var candidate in new[] { "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin" })
        {
            if (File.Exists(Path.Combine(candidate, "initdb")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("PostgreSQL's initdb was not found under /usr/lib/postgresql/*/bin: install postgresql-15 (.ci/run does).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void PgRun(string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        if (_asPostgres)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} did not finish in 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {output.Result}{error.Result}");
        }
    }
}
