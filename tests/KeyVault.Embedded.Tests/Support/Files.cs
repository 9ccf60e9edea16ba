using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Byte-level looks at a vault's files.</summary>
public static class Files
{
    public static string LogOf(string vaultPath) => LiteDbRecordStore.LogPath(Path.GetFullPath(vaultPath));

    /// <summary>
    /// Every file in the vault's folder (data, log and anything else the vault may have written), read without .NET's
    /// advisory lock: a child process another test is starting holds a copy of a just-closed vault's locked descriptor
    /// until its exec, and a locking read would then fail although the file is closed and unchanged.
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> Snapshot(string directory) => RawFile.Snapshot(directory);

    /// <summary>Writes a file readable and writable by its owner only (mode 0600), as the vault requires of its files.</summary>
    public static void WriteOwnerOnly(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        MakeOwnerOnly(path);
    }

    public static void WriteOwnerOnly(string path, string text) => WriteOwnerOnly(path, System.Text.Encoding.UTF8.GetBytes(text));

    public static void MakeOwnerOnly(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
