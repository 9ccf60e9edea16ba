namespace KeyVault.Embedded.Storage;

/// <summary>
/// The stream LiteDB reads and writes one vault file through. It exists for three reasons:
/// <list type="number">
/// <item><description><see cref="Flush"/> means fsync. LiteDB 5.0.21 calls <c>Flush</c> on a custom stream only
/// where it wants durability (file creation, checkpoint), and never after a commit: the record store fsyncs
/// the log itself after every commit (<see cref="FlushToDisk"/>).</description></item>
/// <item><description>It refuses writes until the vault has verified the root key, so a vault opened with a
/// wrong key (or one that fails any check at open) leaves its files byte-identical, even though LiteDB tries to
/// checkpoint when it is disposed.</description></item>
/// <item><description><see cref="Length"/> is rounded down to whole pages. A process killed while appending to
/// the log can leave a torn last page; LiteDB would truncate it at open (a write). Hiding it instead keeps the
/// open read-only, and LiteDB's next log write overwrites it.</description></item>
/// </list>
/// The underlying <see cref="FileStream"/> is unbuffered and opened with <see cref="FileShare.None"/>, which is
/// what makes a second opener fail with "in use".
/// </summary>
internal class VaultFileStream : Stream
{
    /// <summary>LiteDB's page size; its files are always whole pages.</summary>
    public const int PageSize = 8192;

    private readonly FileStream _file;
    private volatile bool _writable;
    private volatile bool _diskFull;

    public VaultFileStream(FileStream file, string path, bool writable)
    {
        _file = file;
        Path = path;
        _writable = writable;
    }

    public string Path { get; }

    /// <summary>Whether a write failed because the disk is full (LiteDB reports that failure as something else).</summary>
    public bool DiskFull => _diskFull;

    /// <summary>Allows writes from now on (after the vault has verified its root key).</summary>
    public void AllowWrites() => _writable = true;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            var length = _file.Length;
            return length - (length % PageSize);
        }
    }

    /// <summary>The length on disk, torn tail included.</summary>
    public long PhysicalLength => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    /// <summary>Flushes to the physical disk (fsync). LiteDB calls this where it wants durability.</summary>
    public override void Flush() => FlushToDisk();

    /// <summary>Makes every write so far durable: fsync of the file's data and metadata (its length).</summary>
    public virtual void FlushToDisk() => Guard(() => _file.Flush(flushToDisk: true));

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _file.Read(buffer);

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value)
    {
        EnsureWritable();
        Guard(() => _file.SetLength(value));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureWritable();
        try
        {
            _file.Write(buffer);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            _diskFull = true;
            throw;
        }
    }

    /// <summary>ENOSPC (or EDQUOT) on Unix, ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException { HResult: 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027) })
            {
                return true;
            }
        }

        return false;
    }

    private void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            _diskFull = true;
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Throws unless writes are allowed (a stream that holds writes back checks at the write, not later).</summary>
    public void EnsureWritable()
    {
        if (!_writable)
        {
            throw new InvalidOperationException("The vault file is read-only until the vault has been verified at open.");
        }
    }
}
