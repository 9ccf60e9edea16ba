using System.Runtime.InteropServices;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// Reads a file with plain libc calls, bypassing .NET's advisory lock, so a test can look at the bytes of a vault
/// file while the vault holds it open (as any other process on the machine could).
/// </summary>
internal static partial class RawFile
{
    public static byte[] ReadAllBytes(string path)
    {
        var fd = Open(path, 0);
        if (fd < 0)
        {
            throw new IOException($"open '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            using var result = new MemoryStream();
            var buffer = new byte[65536];
            while (true)
            {
                var read = (int)Read(fd, buffer, buffer.Length);
                if (read < 0)
                {
                    throw new IOException($"read '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
                }

                if (read == 0)
                {
                    return result.ToArray();
                }

                result.Write(buffer, 0, read);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Every file in a folder, read raw.</summary>
    public static IReadOnlyDictionary<string, byte[]> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => f, ReadAllBytes);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
