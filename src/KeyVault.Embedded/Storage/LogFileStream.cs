using System.Buffers.Binary;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The vault's write-ahead log as LiteDB sees it (whole 8 KiB pages, appended) over checksummed segments on disk. What
/// LiteDB writes is held in memory until the record store makes the commit durable (<see cref="FlushToDisk"/>); then
/// it goes to disk as one segment, in one write, and stays in memory (up to 8 MiB) to serve LiteDB's reads of it
/// (its checkpoints read the whole log back):
/// <code>
/// segment = header (4096) | page (8192) × count
/// header  = "KLS1" | first page's index in the log (4) | count (4) | CRC-32C of each page and its index (4 × count)
///           | zeros | CRC-32C of the header's first 4092 bytes (4)
/// </code>
/// Every page LiteDB reads back is checked, so a damaged log page is an integrity error, never a page LiteDB misreads
/// (a commit silently dropped, a structure it loops on). Only a segment cut short at the end of the file (a write torn
/// by a crash, which no acknowledged commit can be) is hidden, as LiteDB's own log tail would be; the next write
/// replaces it. Segments and pages stay 4 KiB-aligned: the file system writes whole blocks, and a log of unaligned
/// frames measured a fifth slower per durable commit.
/// </summary>
/// <remarks>
/// The log is empty whenever the vault is closed (LiteDB checkpoints at close), so a closed vault's files are plain
/// LiteDB. A log of format 1 (plain pages, left by a crash of the first release) is read as it is until it is emptied.
/// </remarks>
internal sealed class LogFileStream : Stream
{
    public const int HeaderSize = 4096;
    private const int PageSize = PageChecksum.PageSize;
    private const int MaxPagesPerSegment = (HeaderSize - 16) / 4;

    /// <summary>Pages held before they are written out (a large transaction's early pages) even without a flush.</summary>
    private const int MaxPending = 256;

    /// <summary>Pages written out that stay in memory (LiteDB checkpoints at about 1,000).</summary>
    private const int MaxKept = 1024;

    /// <summary>How many pages of one segment a read from disk brings in at once (LiteDB reads its log page by page).</summary>
    private const int ReadAhead = 32;

    private static ReadOnlySpan<byte> Magic => "KLS1"u8;

    private readonly VaultFileStream _file;
    private readonly List<long> _offsets = [];
    private readonly List<uint> _checksums = [];
    private readonly List<byte[]?> _pages = [];
    private readonly Stack<byte[]> _free = new();
    private byte[] _readBuffer = [];
    private byte[] _writeBuffer = [];
    private int _readFirst = -1;
    private int _readCount;
    private long _physicalEnd;
    private int _kept;
    private int _releaseNext;
    private bool _plain;
    private long _position;

    /// <exception cref="VaultIntegrityException">A segment of the log is damaged or out of place.</exception>
    public LogFileStream(VaultFileStream file)
    {
        _file = file;
        var length = file.PhysicalLength;
        if (length == 0)
        {
            return;
        }

        Span<byte> magic = stackalloc byte[4];
        file.Position = 0;
        _plain = file.Read(magic) < 4 || !magic.SequenceEqual(Magic);
        if (!_plain)
        {
            Scan(length);
        }
    }

    public string Path => _file.Path;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _plain ? _file.Length : (long)_pages.Count * PageSize;

    private int PendingCount => _pages.Count - _offsets.Count;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    /// <summary>The LiteDB page id of every page in the log (each checked), to know which data file pages the log overrides.</summary>
    public HashSet<uint> PageIds()
    {
        var ids = new HashSet<uint>();
        var page = new byte[PageSize];
        for (long position = 0; position < Length; position += PageSize)
        {
            _position = position;
            ReadExactly(page);
            ids.Add(BinaryPrimitives.ReadUInt32LittleEndian(page));
        }

        _position = 0;
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

        // LiteDB serialises the calls on one stream (its ConcurrentStream), so the buffers here serve them all.
        var done = 0;
        while (done < buffer.Length && _position < Length)
        {
            var index = (int)(_position / PageSize);
            var within = (int)(_position % PageSize);
            var page = Page(index);
            var take = Math.Min(buffer.Length - done, PageSize - within);
            page.Slice(within, take).CopyTo(buffer[done..]);
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

        if (_position != Length || buffer.Length % PageSize != 0)
        {
            throw new InvalidOperationException("The vault's log is appended to in whole pages.");
        }

        for (var at = 0; at < buffer.Length; at += PageSize)
        {
            var page = _free.Count > 0 ? _free.Pop() : new byte[PageSize];
            buffer.Slice(at, PageSize).CopyTo(page);
            _pages.Add(page);
        }

        _position += buffer.Length;
        if (PendingCount >= MaxPending)
        {
            WritePending();
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
            // Emptied (a checkpoint copied every page into the data file): from now on the log is segmented, whatever it was.
            _file.SetLength(0);
            foreach (var page in _pages)
            {
                if (page is not null && _free.Count < MaxKept)
                {
                    _free.Push(page);
                }
            }

            _pages.Clear();
            (_kept, _releaseNext) = (0, 0);
            _offsets.Clear();
            _checksums.Clear();
            (_readFirst, _readCount) = (-1, 0);
            _physicalEnd = 0;
            _plain = false;
            return;
        }

        if (_plain)
        {
            _file.SetLength(value);
        }
        else if (value != Length)
        {
            throw new InvalidOperationException("The vault's log is only ever emptied.");
        }
    }

    public override void Flush() => FlushToDisk();

    /// <summary>Writes what LiteDB appended since the last flush as a segment, and makes it durable (fsync).</summary>
    public void FlushToDisk()
    {
        WritePending();
        _file.FlushToDisk();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private static VaultIntegrityException Damaged(string path, string detail) =>
        new($"The vault's log '{path}' is damaged: {detail}. Restore the vault from a backup.");

    /// <summary>Reads the segments' headers: where each page is and its checksum. A segment cut short at the end is left out.</summary>
    private void Scan(long length)
    {
        var header = new byte[HeaderSize];
        long position = 0;
        while (length - position >= HeaderSize)
        {
            _file.Position = position;
            _file.ReadExactly(header);
            var first = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            var count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
            if (!header.AsSpan(0, 4).SequenceEqual(Magic) || count is < 1 or > MaxPagesPerSegment
                || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(HeaderSize - 4)) != PageChecksum.Of(header.AsSpan(0, HeaderSize - 4), -1))
            {
                throw Damaged(_file.Path, $"the segment at byte {position} fails its checksum");
            }

            if (first != _offsets.Count)
            {
                throw Damaged(_file.Path, $"the segment at byte {position} holds pages from {first}, where page {_offsets.Count} belongs");
            }

            var end = position + HeaderSize + ((long)count * PageSize);
            if (end > length)
            {
                break; // torn by a crash while being written: it was never acknowledged
            }

            for (var i = 0; i < count; i++)
            {
                _offsets.Add(position + HeaderSize + ((long)i * PageSize));
                _checksums.Add(BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12 + (4 * i))));
                _pages.Add(null); // on disk only: read and checked when LiteDB asks for it
            }

            position = end;
        }

        _physicalEnd = position;
    }

    /// <summary>A page of the log: one this process wrote (kept in memory), or one read from disk and checked.</summary>
    private ReadOnlySpan<byte> Page(int index)
    {
        if (_pages[index] is { } kept)
        {
            return kept;
        }

        if (index < _readFirst || index >= _readFirst + _readCount)
        {
            ReadFromDisk(index);
        }

        return _readBuffer.AsSpan((index - _readFirst) * PageSize, PageSize);
    }

    /// <summary>Reads a run of consecutive pages of one segment from <paramref name="index"/> on, each checked against its checksum.</summary>
    private void ReadFromDisk(int index)
    {
        var count = 1;
        while (count < ReadAhead && index + count < _offsets.Count && _offsets[index + count] == _offsets[index] + ((long)count * PageSize))
        {
            count++;
        }

        if (_readBuffer.Length < count * PageSize)
        {
            _readBuffer = new byte[ReadAhead * PageSize];
        }

        (_readFirst, _readCount) = (-1, 0);
        _file.Position = _offsets[index];
        var buffer = _readBuffer.AsSpan(0, count * PageSize);
        var read = 0;
        while (read < buffer.Length)
        {
            var n = _file.Read(buffer[read..]);
            if (n == 0)
            {
                throw Damaged(_file.Path, $"page {index + (read / PageSize)} is cut short");
            }

            read += n;
        }

        for (var i = 0; i < count; i++)
        {
            if (PageChecksum.Of(buffer.Slice(i * PageSize, PageSize), index + i) != _checksums[index + i])
            {
                throw Damaged(_file.Path, $"page {index + i} fails its checksum");
            }
        }

        (_readFirst, _readCount) = (index, count);
    }

    /// <summary>Writes the pending pages as segments, in one write, after the last complete segment (over a torn one).</summary>
    private void WritePending()
    {
        var pending = PendingCount;
        if (_plain || pending == 0)
        {
            return;
        }

        if (_file.PhysicalLength > _physicalEnd)
        {
            _file.SetLength(_physicalEnd); // a segment torn by a crash: nothing may follow the complete ones
        }

        var first = _offsets.Count;
        var segments = (pending + MaxPagesPerSegment - 1) / MaxPagesPerSegment;
        var length = (segments * HeaderSize) + (pending * PageSize);
        if (_writeBuffer.Length < length)
        {
            _writeBuffer = new byte[Math.Max(length, HeaderSize + (8 * PageSize))];
        }

        var bytes = _writeBuffer;
        Array.Clear(bytes, 0, length);
        var at = 0;
        var newOffsets = new List<long>(pending);
        var newChecksums = new List<uint>(pending);
        for (var start = 0; start < pending; start += MaxPagesPerSegment)
        {
            var count = Math.Min(MaxPagesPerSegment, pending - start);
            var header = bytes.AsSpan(at, HeaderSize);
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], first + start);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], count);
            at += HeaderSize;
            for (var i = 0; i < count; i++)
            {
                var page = _pages[first + start + i]!;
                var checksum = PageChecksum.Of(page, first + start + i);
                BinaryPrimitives.WriteUInt32LittleEndian(header[(12 + (4 * i))..], checksum);
                page.CopyTo(bytes, at);
                newOffsets.Add(_physicalEnd + at);
                newChecksums.Add(checksum);
                at += PageSize;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(header[(HeaderSize - 4)..], PageChecksum.Of(header[..(HeaderSize - 4)], -1));
        }

        _file.Position = _physicalEnd;
        _file.Write(bytes.AsSpan(0, length));
        _physicalEnd += length;
        _offsets.AddRange(newOffsets);
        _checksums.AddRange(newChecksums);

        // Written pages stay in memory for LiteDB's reads, the oldest let go beyond the limit.
        _kept += pending;
        for (; _kept > MaxKept && _releaseNext < _offsets.Count; _releaseNext++)
        {
            if (_pages[_releaseNext] is not null)
            {
                _pages[_releaseNext] = null;
                _kept--;
            }
        }
    }
}
