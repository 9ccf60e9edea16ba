using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Pkcs11.Tests.Support;

/// <summary>
/// A real SoftHSMv2 in a temporary folder of its own (never a shared token store): a configuration file, and a set of
/// tokens initialised with softhsm2-util before the module is first loaded (SoftHSM reads its configuration and token
/// store when the module is initialised). Each test takes tokens of its own. A machine without SoftHSM fails these
/// tests; it never skips them.
/// </summary>
public sealed partial class SoftHsm : IDisposable
{
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    public const string SoPin = "so-pin-1234";
    public const string UserPin = "user-pin-5678";
    private const int TokenCount = 32;
    private readonly TempDirectory _dir = new();
    private readonly Lazy<string> _shared;
    private int _next;

    public SoftHsm()
    {
        if (!File.Exists(ModulePath))
        {
            throw new InvalidOperationException($"SoftHSMv2 is not installed ({ModulePath} is missing): apt-get install -y softhsm2 (.ci/run does this).");
        }

        var tokens = Path.Combine(_dir.Path, "tokens");
        Directory.CreateDirectory(tokens);
        ConfigPath = Path.Combine(_dir.Path, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");

        // SoftHSM reads SOFTHSM2_CONF with getenv(), which does not see .NET's managed environment: set both (the
        // managed one is what child processes inherit).
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", ConfigPath);
        if (SetEnv("SOFTHSM2_CONF", ConfigPath, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed.");
        }

        for (var i = 0; i < TokenCount; i++)
        {
            Run("softhsm2-util", "--init-token", "--free", "--label", $"token-{i}", "--so-pin", SoPin, "--pin", UserPin);
        }

        _shared = new Lazy<string>(() =>
        {
            var token = NewToken();
            Pkcs11RootKey.CreateRootKey(Options(token));
            return token;
        });
    }

    /// <summary>
    /// One token with a root key, shared by tests that each open their own vault on it (vaults label their keys with
    /// their own id, so they never see each other's keys).
    /// </summary>
    public string SharedToken => _shared.Value;

    public string ConfigPath { get; }

    /// <summary>A token no other test uses.</summary>
    public string NewToken()
    {
        var index = Interlocked.Increment(ref _next) - 1;
        return index < TokenCount ? $"token-{index}" : throw new InvalidOperationException($"All {TokenCount} test tokens are taken: raise TokenCount.");
    }

    public static Pkcs11RootKeyOptions Options(string token, string keyLabel = "vault-root", string pin = UserPin) => new()
    {
        ModulePath = ModulePath,
        TokenLabel = token,
        Pin = Encoding.UTF8.GetBytes(pin),
        KeyLabel = keyLabel,
    };

    /// <summary>A token with a root key, and the provider for it.</summary>
    public Pkcs11RootKey NewRoot(out string token, string keyLabel = "vault-root")
    {
        token = NewToken();
        Pkcs11RootKey.CreateRootKey(Options(token, keyLabel));
        return new Pkcs11RootKey(Options(token, keyLabel));
    }

    /// <summary>Runs work in a session logged in to the token (for inspecting and planting token objects).</summary>
    public static T InToken<T>(string token, Func<Net.Pkcs11Interop.HighLevelAPI.ISession, T> work)
    {
        using var opened = Pkcs11Token.Open(ModulePath, token, null, Encoding.UTF8.GetBytes(UserPin));
        return opened.Run("a test", work);
    }

    public void Dispose() => _dir.Dispose();

    private static void Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {output.Result}{error}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

[CollectionDefinition(Name)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsm>
{
    public const string Name = "SoftHSM";
}
