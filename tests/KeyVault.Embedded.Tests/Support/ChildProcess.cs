using System.Diagnostics;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Runs KeyVault.Embedded.TestChild (built beside the tests) as a separate process.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public static ChildProcess Start(params string[] arguments)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        }

        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KeyVault.Embedded.TestChild.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("The child process did not start."));
    }

    /// <summary>The next line the child printed, or null when it has exited.</summary>
    public string? ReadLine() => _process.StandardOutput.ReadLine();

    /// <summary>The next line the child printed; when the child has exited instead, fails with what it wrote to stderr.</summary>
    public string ExpectLine() =>
        _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The child process exited: {_process.StandardError.ReadToEnd()}");

    public string ReadToEnd() => _process.StandardOutput.ReadToEnd();

    /// <summary>SIGKILL on Unix: the process gets no chance to flush or clean up.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Writes a line to the child's standard input.</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
