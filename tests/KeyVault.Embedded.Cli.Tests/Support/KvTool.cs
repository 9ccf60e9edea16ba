using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace KeyVault.Embedded.Cli.Tests.Support;

/// <summary>
/// The packed and installed <c>kv</c>: once per test run, <c>dotnet pack</c> of the CLI project into a temporary feed,
/// then <c>dotnet tool install --tool-path</c> from that feed alone (its own NuGet config and package folder, so no
/// network and never a stale copy of the same version from the user's cache). Tests run it in child processes.
/// </summary>
public sealed class KvTool
{
    private static readonly Lazy<Task<KvTool>> Installed = new(InstallAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private KvTool(string executable, string workFolder)
    {
        Executable = executable;
        WorkFolder = workFolder;
    }

    /// <summary>The installed tool's command.</summary>
    public string Executable { get; }

    /// <summary>A folder of the run's own (feed, tool path, package cache), removed when the process exits.</summary>
    public string WorkFolder { get; }

    public static Task<KvTool> GetAsync() => Installed.Value;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>Runs the installed <c>kv</c>: arguments as given (no shell), standard input redirected (and closed after <paramref name="stdin"/>).</summary>
    public Task<KvResult> RunAsync(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null) =>
        RunProcessAsync(Executable, args, stdin, environment);

    /// <summary>Runs any program with the tool's environment (for <c>script</c>, which gives <c>kv</c> a pseudo-terminal).</summary>
    public static async Task<KvResult> RunProcessAsync(string program, IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The child sees only what a test gives it: no vault or root inherited from the developer's shell.
        start.Environment.Remove("KV_VAULT");
        start.Environment.Remove("KV_ROOT_KEY");
        start.Environment["DOTNET_ROOT"] = DotnetRoot();
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 5 minutes.");
        }

        return new KvResult(process.ExitCode, await stdout, await stderr);
    }

    private static async Task<KvTool> InstallAsync()
    {
        var work = Path.Combine(Path.GetTempPath(), $"kv-cli-tests-{Guid.NewGuid():N}");
        var feed = Path.Combine(work, "feed");
        var tools = Path.Combine(work, "tools");
        var packages = Path.Combine(work, "packages");
        Directory.CreateDirectory(feed);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        };

        var nugetConfig = Path.Combine(work, "nuget.config");
        await File.WriteAllTextAsync(nugetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="kv-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        var project = Path.Combine(RepositoryRoot, "src", "KeyVault.Embedded.Cli", "KeyVault.Embedded.Cli.csproj");
        // --no-build: the test project's reference built the CLI in this configuration already; building again here
        // could race the other test projects of a solution run.
        await DotnetAsync(["pack", project, "-c", Metadata("Configuration"), "--no-build", "-o", feed], packages: null);
        await DotnetAsync(["tool", "install", "KeyVault.Embedded.Cli", "--tool-path", tools, "--configfile", nugetConfig, "--prerelease"], packages);
        var executable = Path.Combine(tools, OperatingSystem.IsWindows() ? "kv.exe" : "kv");
        File.Exists(executable).Should().BeTrue("dotnet tool install puts the kv command in the tool path");
        return new KvTool(executable, work);
    }

    private static async Task DotnetAsync(string[] args, string? packages)
    {
        var environment = new Dictionary<string, string?>();
        if (packages is not null)
        {
            environment["NUGET_PACKAGES"] = packages;
        }

        var result = await RunProcessAsync(Path.Combine(DotnetRoot(), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"), args, environment: environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
        }
    }

    // The running runtime's dotnet: .../dotnet/shared/Microsoft.NETCore.App/{version}/System.Private.CoreLib.dll.
    private static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    private static string Metadata(string key) =>
        typeof(KvTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"No assembly metadata '{key}'.");
}
