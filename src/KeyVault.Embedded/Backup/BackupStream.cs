namespace KeyVault.Embedded.Backup;

/// <summary>Reading the untrusted streams of backups and exports.</summary>
internal static class BackupStream
{
    /// <summary>Exactly <paramref name="length"/> bytes, or null when the stream ended before the first of them.</summary>
    /// <remarks>Memory grows with what arrives (at most 1 MiB ahead), not with a length a crafted file announces.</remarks>
    /// <exception cref="Exception"><paramref name="cutShort"/>'s exception when the stream ends inside the bytes.</exception>
    public static async ValueTask<byte[]?> ReadExactlyAsync(Stream source, int length, Func<Exception> cutShort, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(length, 1 << 20)];
        var read = 0;
        while (read < length)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, (long)buffer.Length * 2));
            }

            var n = await source.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return read == 0 ? null : throw cutShort();
            }

            read += n;
        }

        return buffer;
    }
}
