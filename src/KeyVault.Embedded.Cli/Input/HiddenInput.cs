using System.Text;
using Microsoft.Win32.SafeHandles;

namespace KeyVault.Embedded.Cli.Input;

/// <summary>
/// Reads passphrases, PINs and secret values so that they never reach the command line (and so the shell's history):
/// from the terminal without echo, or from redirected standard input or an inherited file descriptor.
/// </summary>
internal static class HiddenInput
{
    /// <summary>
    /// One line: typed on the terminal without echo (the prompt on standard error), or the first line of standard input
    /// when it is redirected. Returned as UTF-8 bytes the caller zeroes.
    /// </summary>
    public static byte[] ReadLine(string prompt)
    {
        if (Console.IsInputRedirected)
        {
            var line = ReadLineFromStdin() ?? throw CliException.BadParameter($"{prompt.TrimEnd(':', ' ')}: standard input ended before a line was read.");
            return line;
        }

        Console.Error.Write(prompt);
        var typed = new StringBuilder();
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0)
                    {
                        // Overwritten first: shortening alone leaves the character in the builder's chunk.
                        typed[typed.Length - 1] = '\0';
                        typed.Length--;
                    }

                    continue;
                }

                if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }

            Console.Error.WriteLine();
            return ToUtf8(typed);
        }
        finally
        {
            // The builder's chunks are overwritten before they are dropped.
            for (var i = 0; i < typed.Length; i++)
            {
                typed[i] = '\0';
            }
        }
    }

    /// <summary>The rest of standard input as UTF-8 bytes, exactly (no trailing newline removed).</summary>
    public static byte[] ReadAllStdin()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The first line read from an inherited file descriptor (a PIN kept off the command line and the terminal).</summary>
    public static byte[] ReadLineFromDescriptor(int descriptor, string option)
    {
        if (descriptor < 0)
        {
            throw CliException.BadParameter($"{option} must be an open file descriptor (0 or more).");
        }

        try
        {
            using var handle = new SafeFileHandle(descriptor, ownsHandle: false);
            using var stream = new FileStream(handle, FileAccess.Read, 1);
            return ReadLineBytes(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw CliException.BadParameter($"{option} {descriptor} could not be read: {e.GetType().Name}.");
        }
    }

    private static byte[]? ReadLineFromStdin()
    {
        // Byte by byte, so that whatever follows the first line stays in standard input for the command (a secret value).
        using var stdin = Console.OpenStandardInput();
        var bytes = ReadLineBytes(stdin, allowEmptyEnd: true);
        return bytes;
    }

    private static byte[] ReadLineBytes(Stream stream, bool allowEmptyEnd = false)
    {
        // A buffer of its own, zeroed whenever it is replaced and at the end: no copy of a PIN or passphrase is left.
        var buffer = new byte[128];
        var length = 0;
        try
        {
            int b;
            var any = false;
            while ((b = stream.ReadByte()) >= 0)
            {
                any = true;
                if (b == '\n')
                {
                    break;
                }

                if (length == buffer.Length)
                {
                    var larger = new byte[buffer.Length * 2];
                    buffer.CopyTo(larger, 0);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
                    buffer = larger;
                }

                buffer[length++] = (byte)b;
            }

            if (!any && !allowEmptyEnd)
            {
                throw CliException.BadParameter("The input ended before a line was read.");
            }

            if (length > 0 && buffer[length - 1] == '\r')
            {
                length--;
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static byte[] ToUtf8(StringBuilder text)
    {
        var chars = new char[text.Length];
        try
        {
            text.CopyTo(0, chars, chars.Length);
            return Encoding.UTF8.GetBytes(chars);
        }
        finally
        {
            Array.Clear(chars);
        }
    }
}
