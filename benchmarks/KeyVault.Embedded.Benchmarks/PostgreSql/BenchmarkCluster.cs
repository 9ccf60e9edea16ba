using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace KeyVault.Embedded.Benchmarks.PostgreSql;

/// <summary>
/// A private PostgreSQL cluster for one benchmark process (the logic of the tests' <c>PostgreSqlCluster</c>, without
/// its standby): <c>initdb</c> in a temporary folder, <c>pg_ctl start</c> on a free loopback port (as the user
/// <c>postgres</c> when run as root, since <c>initdb</c> refuses root), stopped and deleted at the end. Durable as a
/// production server is: <c>fsync</c> and <c>synchronous_commit</c> on, so each commit waits for the WAL's flush.
/// </summary>
internal sealed class BenchmarkCluster : IDisposable
{
    private const string User = "kv";
    private readonly string _folder;
    private readonly string _data;
    private readonly string _bin;
    private readonly bool _asPostgres;

    public BenchmarkCluster()
    {
        _bin = FindBin();
        _folder = Path.Combine(Path.GetTempPath(), "kv-pg-bench-" + Guid.NewGuid().ToString("N"));
        _data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(_folder);
        _asPostgres = Environment.UserName == "root";
        if (_asPostgres)
        {
            Run("chown", "postgres:postgres", _folder);
        }

        Port = FreePort();
        PgRun("initdb", "-D", _data, "-A", "trust", "-U", User, "-E", "UTF8");
        PgRun("pg_ctl", "-D", _data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on", "start");
    }

    /// <summary>The cluster's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A connection string to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={User};Database=postgres;Pooling=true";

    /// <summary>A new data source (an app instance of its own: its own pool).</summary>
    public NpgsqlDataSource NewDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>Runs SQL statements, outside any store.</summary>
    public void Execute(string sql)
    {
        using var source = NewDataSource();
        using var command = source.CreateCommand(sql);
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a query for one value, outside any store.</summary>
    public T Scalar<T>(string sql)
    {
        using var source = NewDataSource();
        using var command = source.CreateCommand(sql);
        return (T)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            if (File.Exists(Path.Combine(_data, "postmaster.pid")))
            {
                PgRun("pg_ctl", "-D", _data, "-m", "fast", "-w", "stop");
            }
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
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

        throw new InvalidOperationException("PostgreSQL's initdb was not found under /usr/lib/postgresql/*/bin: install postgresql-15.");
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
