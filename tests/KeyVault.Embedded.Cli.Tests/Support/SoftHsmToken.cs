using System.Diagnostics;

namespace KeyVault.Embedded.Cli.Tests.Support;

/// <summary>
/// A real SoftHSMv2 token of one test's own: a configuration and token folder under the test's folder, initialised with
/// <c>softhsm2-util</c>. The tool finds it through <c>SOFTHSM2_CONF</c> in its environment (<see cref="Environment"/>).
/// A machine without SoftHSM fails the test; it never skips (.ci/run installs softhsm2).
/// </summary>
public sealed class SoftHsmToken
{
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Pin = "cli-user-pin-2468";

    public SoftHsmToken(string folder, string label = "kv-cli")
    {
        if (!File.Exists(ModulePath))
        {
            throw new InvalidOperationException($"SoftHSMv2 is not installed ({ModulePath} is missing): apt-get install -y softhsm2 (.ci/run does this).");
        }

        Label = label;
        var tokens = Path.Combine(folder, "tokens");
        Directory.CreateDirectory(tokens);
        ConfigPath = Path.Combine(folder, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--init-token", "--free", "--label", label, "--so-pin", "cli-so-pin-1357", "--pin", Pin })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SOFTHSM2_CONF"] = ConfigPath;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"softhsm2-util failed ({process.ExitCode}): {output.Result}{error}");
        }
    }

    public string Label { get; }

    public string ConfigPath { get; }

    /// <summary>What the tool's environment needs to find this token.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["SOFTHSM2_CONF"] = ConfigPath };

    /// <summary>The root options for this token (the PIN comes from standard input or --pin-fd).</summary>
    public string[] RootArguments(string keyLabel, string prefix = "") =>
        [$"--{prefix}pkcs11-module", ModulePath, $"--{prefix}token-label", Label, $"--{prefix}key-label", keyLabel];
}
