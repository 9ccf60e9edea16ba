namespace KeyVault.Embedded.Cli.Input;

/// <summary>Reads and checks a command's input before the vault is opened; errors name the option, never the content.</summary>
internal static class CommandInput
{
    /// <summary>Bytes given as base64 in <paramref name="valueOption"/> or read from the file in <paramref name="fileOption"/>: exactly one.</summary>
    public static byte[] Base64OrFile(string? base64, string? file, string valueOption, string fileOption)
    {
        if ((base64 is null) == (file is null))
        {
            throw CliException.BadParameter($"Give exactly one of {valueOption} (base64) and {fileOption}.");
        }

        return base64 is not null ? Base64(base64, valueOption) : ReadFile(file!, fileOption);
    }

    public static byte[] Base64(string text, string option)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw CliException.BadParameter($"{option} is not valid base64.");
        }
    }

    public static byte[]? OptionalBase64(string? text, string option) => text is null ? null : Base64(text, option);

    public static byte[] ReadFile(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw CliException.BadParameter($"{option}: there is no file '{path}'.");
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>Tags as <c>name=value</c> pairs (az's <c>--tags</c>); an empty list clears nothing and sets nothing.</summary>
    public static Dictionary<string, string> Tags(string[]? pairs)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw CliException.BadParameter("--tags takes name=value pairs.");
            }

            tags[pair[..equals]] = pair[(equals + 1)..];
        }

        return tags;
    }

    /// <summary>Refuses to overwrite an output file: a backup or download never replaces what is there.</summary>
    public static void EnsureNew(string path, string option)
    {
        if (File.Exists(path))
        {
            throw CliException.Conflict($"{option}: the file '{path}' exists already; it is never overwritten.");
        }
    }

    /// <summary>Writes a file only its owner can read (0600), failing if it exists.</summary>
    public static void WriteNewFile(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = CreateNewFile(path);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>A new file only its owner can read (0600); an existing one is an error, never overwritten.</summary>
    public static FileStream CreateNewFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }
}
