namespace KeyVault.Embedded.Storage;

/// <summary>File options for files that hold vault data or keys: unbuffered, and created readable and writable by the owner only.</summary>
internal static class OwnerOnlyFile
{
    public static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share, FileOptions options = FileOptions.None)
    {
        var result = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 0, Options = options };
        if (!OperatingSystem.IsWindows())
        {
            result.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return result;
    }
}
