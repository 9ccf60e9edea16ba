using System.Buffers.Binary;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The vault's write-ahead log as LiteDB sees it (whole 8 KiB pages, appended) over frames on disk that each carry a
/// checksum: <c>page (8192) | CRC-32C of page and frame index (4) | "KL" | format (1) | 0 (1)</c>. Every complete frame
/// is checked when LiteDB reads it, so a damaged log page is an integrity error, never a page LiteDB misreads (a
/// commit silently dropped, a structure it loops on). Only a frame cut short at the end (a write torn by a crash,
/// which no acknowledged commit can be) is hidden, as LiteDB's own log tail would be.
/// </summary>
/// <remarks>
/// The log is empty whenever the vault is closed (LiteDB checkpoints at close), so a closed vault's files are plain
/// LiteDB. A log of format 1 (plain pages, left by a crash of the first release) is read as it is until it is emptied.
/// </remarks>
internal sealed class LogFileStream : Stream
{
    public const int FrameSize = PageChecksum.PageSize + TrailerSize;
    private const int TrailerSize = 8;
    private const byte Format = 1;
    private readonly VaultFileStream _file;
    private bool _plain;
    private long _position;

    public LogFileStream(VaultFileStream file)
    {
        _file = file;
        var length = file.PhysicalLength;
        _plain = length > 0 && !LooksFramed(file, length);
    }

    public string Path => _file.Path;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _plain ? _file.Length : _file.PhysicalLength / FrameSize * PageChecksum.PageSize;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    /// <summary>The LiteDB page id of every page in the log (each frame checked), to know which data file pages the log overrides.</summary>
    public HashSet<uint> PageIds()
    {
        var ids = new HashSet<uint>();
        var page = new byte[PageChecksum.PageSize];
        for (long position = 0; position < Length; position += PageChecksum.PageSize)
        {
            ReadPage(position, page);
            ids.Add(BinaryPrimitives.ReadUInt32LittleEndian(page));
        }

        return ids;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_plain)
        {
            _file.Position = _position;
            var plain = _file.Read(buffer);
            _position += plain;
            return plain;
        }

        var done = 0;
        var page = new byte[PageChecksum.PageSize];
        while (done < buffer.Length && _position < Length)
        {
            var index = _position / PageChecksum.PageSize;
            var within = (int)(_position % PageChecksum.PageSize);
            ReadPage(index * PageChecksum.PageSize, page);
            var take = Math.Min(buffer.Length - done, PageChecksum.PageSize - within);
            page.AsSpan(within, take).CopyTo(buffer[done..]);
            done += take;
            _position += take;
        }

        return done;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_plain)
        {
            _file.Position = _position;
            _file.Write(buffer);
            _position += buffer.Length;
            return;
        }

        if (_position % PageChecksum.PageSize != 0 || buffer.Length % PageChecksum.PageSize != 0)
        {
            throw new InvalidOperationException("The vault's log is written in whole pages.");
        }

        var frame = new byte[FrameSize];
        for (var at = 0; at < buffer.Length; at += PageChecksum.PageSize)
        {
            var index = _position / PageChecksum.PageSize;
            buffer.Slice(at, PageChecksum.PageSize).CopyTo(frame);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(PageChecksum.PageSize), PageChecksum.Of(frame.AsSpan(0, PageChecksum.PageSize), index));
            frame[PageChecksum.PageSize + 4] = (byte)'K';
            frame[PageChecksum.PageSize + 5] = (byte)'L';
            frame[PageChecksum.PageSize + 6] = Format;
            frame[PageChecksum.PageSize + 7] = 0;
            _file.Position = index * FrameSize;
            _file.Write(frame);
            _position += PageChecksum.PageSize;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void SetLength(long value)
    {
        if (value == 0)
        {
            // Emptied (a checkpoint): from now on the log is framed, whatever it was.
            _file.SetLength(0);
            _plain = false;
            return;
        }

        _file.SetLength(_plain ? value : value / PageChecksum.PageSize * FrameSize);
    }

    public override void Flush() => _file.FlushToDisk();

    /// <summary>Makes every write so far durable (fsync).</summary>
    public void FlushToDisk() => _file.FlushToDisk();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private static bool LooksFramed(VaultFileStream file, long length)
    {
        if (length < FrameSize)
        {
            return length % PageChecksum.PageSize != 0;
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        file.Position = PageChecksum.PageSize;
        return file.Read(trailer) == TrailerSize && trailer[4] == (byte)'K' && trailer[5] == (byte)'L';
    }

    private void ReadPage(long position, byte[] page)
    {
        var index = position / PageChecksum.PageSize;
        var frame = new byte[FrameSize];
        _file.Position = index * FrameSize;
        var read = 0;
        while (read < FrameSize)
        {
            var n = _file.Read(frame.AsSpan(read));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read != FrameSize || frame[PageChecksum.PageSize + 4] != (byte)'K' || frame[PageChecksum.PageSize + 5] != (byte)'L' || frame[PageChecksum.PageSize + 6] != Format
            || BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(PageChecksum.PageSize)) != PageChecksum.Of(frame.AsSpan(0, PageChecksum.PageSize), index))
        {
            throw new VaultIntegrityException($"The vault's log '{_file.Path}' is damaged: page {index} fails its checksum. Restore the vault from a backup.");
        }

        frame.AsSpan(0, PageChecksum.PageSize).CopyTo(page);
    }
}
