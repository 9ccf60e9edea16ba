using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// Opens the files that hold vault data or keys the way a security product must: never through a symbolic link
/// (<c>O_NOFOLLOW</c>, so a link planted in a shared folder cannot redirect the vault), only a regular file owned by
/// the process's user and closed to group and others, created with mode 0600. The checks run on the opened
/// descriptor (<c>fstatx</c>), so nothing can be swapped between the check and the use.
/// </summary>
/// <remarks>
/// Linux (x64 and arm64) uses these calls directly; other systems get .NET's <see cref="FileStream"/> with the same
/// checks made on the path first (Windows has neither Unix modes nor this kind of link attack on files).
/// </remarks>
internal static partial class SecureFile
{
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int EWOULDBLOCK = 11;
    private const int ELOOP = 40;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int GroupOrOther = 0x3F; // 0077

    private static bool Native => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    // O_NOFOLLOW differs between the two architectures (asm-generic vs x86): 0x20000 on x64, 0x8000 on arm64.
    private static int NoFollow => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    /// <summary>
    /// Opens <paramref name="path"/> for reading and writing with an exclusive advisory lock, creating it (mode 0600)
    /// when missing.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="created">Whether this call created the file.</param>
    /// <returns>An unbuffered stream over the file.</returns>
    /// <exception cref="VaultException"><c>InsecureFile</c> for a link, a file of another owner or a file open to others; <c>VaultInUse</c> when locked.</exception>
    public static FileStream OpenExclusive(string path, out bool created)
    {
        if (!Native)
        {
            return OpenPortable(path, out created);
        }

        created = false;
        var fd = Open(path, ORdWr | OCloexec | NoFollow, 0);
        if (fd < 0 && Marshal.GetLastPInvokeError() == ENOENT)
        {
            fd = Open(path, ORdWr | OCloexec | NoFollow | OCreat | OExcl, 0x180);
            created = fd >= 0;
            if (fd < 0 && Marshal.GetLastPInvokeError() == EEXIST)
            {
                fd = Open(path, ORdWr | OCloexec | NoFollow, 0);
            }
        }

        var handle = Checked(fd, path);
        try
        {
            if (Lock(fd) is var errno and not 0)
            {
                throw errno == EWOULDBLOCK
                    ? VaultErrors.InUse(path, new IOException($"flock: errno {errno}"))
                    : new IOException($"Could not lock '{path}' (errno {errno}).");
            }

            if (!created)
            {
                Inspect(fd, path);
            }

            return new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            if (created)
            {
                File.Delete(path);
            }

            throw;
        }
    }

    /// <summary>
    /// Takes the exclusive lock, waiting out at most 100 ms of contention: a child process that another part of this
    /// process is starting holds a copy of every descriptor between its fork and its exec (close-on-exec closes it only
    /// then), so a vault closed and reopened at that moment would otherwise find its own lock still held.
    /// </summary>
    /// <returns>0, or the errno of the last attempt.</returns>
    private static int Lock(int fd)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (Flock(fd, LockExclusive | LockNonBlocking) == 0)
            {
                return 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EWOULDBLOCK || attempt >= 20)
            {
                return errno;
            }

            Thread.Sleep(5);
        }
    }

    /// <summary>Creates a new file (mode 0600), refusing to follow or replace anything at the path.</summary>
    /// <exception cref="IOException">The path exists.</exception>
    public static FileStream CreateNew(string path)
    {
        if (!Native)
        {
            return new FileStream(path, Options(FileMode.CreateNew, FileAccess.Write, FileShare.None));
        }

        var fd = Open(path, OWrOnly | OCloexec | NoFollow | OCreat | OExcl, 0x180);
        if (fd < 0 && Marshal.GetLastPInvokeError() == EEXIST)
        {
            throw new IOException($"The file '{path}' exists; it is not overwritten.");
        }

        return new FileStream(Checked(fd, path), FileAccess.Write, bufferSize: 0);
    }

    /// <summary>Reads a whole small file (a key file, an anchor), with the same checks as <see cref="OpenExclusive"/>.</summary>
    /// <returns>The bytes, or null when the file does not exist.</returns>
    /// <exception cref="VaultException"><c>InsecureFile</c> as for <see cref="OpenExclusive"/>.</exception>
    public static byte[]? ReadAll(string path)
    {
        if (!Native)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            CheckPortable(path);
            return File.ReadAllBytes(path);
        }

        // O_NONBLOCK: a FIFO planted in place of the file must not hang the open (the check below refuses it).
        var fd = Open(path, ORdOnly | OCloexec | NoFollow | ONonblock, 0);
        if (fd < 0 && Marshal.GetLastPInvokeError() == ENOENT)
        {
            return null;
        }

        using var handle = Checked(fd, path);
        Inspect(fd, path);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The check of an already opened file (symlink excepted, which only the open can tell): regular, ours, 0600 or tighter.</summary>
    private static void Inspect(int fd, string path)
    {
        var buffer = new byte[256];
        if (Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, buffer) != 0)
        {
            throw new IOException($"Could not inspect '{path}' (errno {Marshal.GetLastPInvokeError()}).");
        }

        var uid = BitConverter.ToUInt32(buffer, 20);
        var mode = BitConverter.ToUInt16(buffer, 28);
        if ((mode & FileTypeMask) != RegularFile)
        {
            throw VaultErrors.InsecureFile(path, "it is not a regular file", "replace it with a regular file");
        }

        var user = GetEuid();
        if (uid != user)
        {
            throw VaultErrors.InsecureFile(path, $"it is owned by user id {uid}, not by this process's user ({user})", $"chown {user} '{path}'");
        }

        if ((mode & GroupOrOther) != 0)
        {
            throw VaultErrors.InsecureFile(path, $"its mode is {Convert.ToString(mode & 0xFFF, 8)}, which lets group or others read or write it", $"chmod 600 '{path}'");
        }
    }

    private static SafeFileHandle Checked(int fd, string path)
    {
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == ELOOP)
        {
            throw VaultErrors.InsecureFile(path, "it is a symbolic link, which the vault never follows", $"replace the link with the file itself (readlink -f '{path}')");
        }

        throw errno == 13
            ? new UnauthorizedAccessException($"Access to '{path}' was denied (errno {errno}).")
            : new IOException($"Could not open '{path}' (errno {errno}).", errno);
    }

    private static FileStream OpenPortable(string path, out bool created)
    {
        created = !File.Exists(path);
        if (!created)
        {
            CheckPortable(path);
        }

        try
        {
            return new FileStream(path, Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.RandomAccess));
        }
        catch (IOException ex) when (ex.HResult is 11 or unchecked((int)0x80070020) or unchecked((int)0x80070021))
        {
            throw VaultErrors.InUse(path, ex);
        }
    }

    private static void CheckPortable(string path)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            throw VaultErrors.InsecureFile(path, "it is a symbolic link, which the vault never follows", "replace the link with the file itself");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode)GroupOrOther) != 0)
        {
            throw VaultErrors.InsecureFile(path, "its mode lets group or others read or write it", $"chmod 600 '{path}'");
        }
    }

    private static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share, FileOptions options = FileOptions.None)
    {
        var result = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 0, Options = options };
        if (!OperatingSystem.IsWindows())
        {
            result.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return result;
    }

    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int ORdWr = 2;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int OCloexec = 0x80000;
    private const int ONonblock = 0x800;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
