using System.Buffers.Binary;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The vault's LiteDB data file, with every page LiteDB reads checked against a checksum taken when it was written, so
/// that a damaged page is an integrity error and never reaches LiteDB (which has no page checksums and can loop on a
/// damaged index or return less than is stored). The file itself stays plain LiteDB; the checksums live beside it in
/// <c>{name}-pages{ext}</c>: <c>"KVP1" | page count | CRC-32C per page | CRC-32C of all that</c>.
/// </summary>
/// <remarks>
/// LiteDB writes the data file only when it checkpoints (and when it creates the file), ending with an fsync of it
/// (<see cref="Flush"/>). A checkpoint writes every page image in the log, many of them the same page over and over;
/// the writes are held until that flush, so each page is written once, in runs. Then the checksum file is replaced,
/// atomically (a temporary file, fsync, rename, directory fsync), before LiteDB empties the log. After a crash between the two the log still holds every page the
/// checkpoint was copying, and LiteDB reads those from the log, so data pages the log overrides are not checked. A
/// missing checksum file (a vault of format 1, or one copied without it) means unchecked pages until the next
/// checkpoint writes one.
/// </remarks>
internal sealed class DataFileStream : Stream
{
    private static ReadOnlySpan<byte> Magic => "KVP1"u8;
    private readonly VaultFileStream _file;
    private readonly string _checksumPath;
    private readonly List<uint> _checksums;
    private readonly SortedDictionary<long, byte[]> _pending = [];
    private bool _checked;
    private bool _dirty;
    private HashSet<uint> _overridden;

    private DataFileStream(VaultFileStream file, string checksumPath, List<uint>? checksums)
    {
        _file = file;
        _checksumPath = checksumPath;
        _checked = checksums is not null;
        _checksums = checksums ?? [];
        _overridden = [];
    }

    public string Path => _file.Path;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _pending.Count == 0 ? _file.Length : Math.Max(_file.Length, (_pending.Keys.Last() + 1) * PageChecksum.PageSize);

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    /// <summary>Where the checksums of <paramref name="dataPath"/> are kept: <c>vault.db</c> has <c>vault-pages.db</c>.</summary>
    public static string ChecksumPath(string dataPath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(dataPath) ?? string.Empty, System.IO.Path.GetFileNameWithoutExtension(dataPath) + "-pages" + System.IO.Path.GetExtension(dataPath));

    /// <summary>Opens the data file's checked view, reading its checksums (null when there are none yet).</summary>
    /// <exception cref="VaultIntegrityException">The checksum file is damaged.</exception>
    public static DataFileStream Open(VaultFileStream file, string dataPath)
    {
        var checksumPath = ChecksumPath(dataPath);
        var bytes = SecureFile.ReadAll(checksumPath);
        return new DataFileStream(file, checksumPath, bytes is null ? null : Parse(bytes, checksumPath));
    }

    /// <summary>Data file pages whose newest copy is in the log (left there by a crash mid-checkpoint): LiteDB reads those from the log.</summary>
    public void Overridden(HashSet<uint> pageIds) => _overridden = pageIds;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var start = _file.Position;
        if (_pending.Count > 0 && start % PageChecksum.PageSize == 0 && buffer.Length == PageChecksum.PageSize
            && _pending.TryGetValue(start / PageChecksum.PageSize, out var written))
        {
            // Written by the checkpoint in progress, not yet on disk.
            written.CopyTo(buffer);
            _file.Position = start + PageChecksum.PageSize;
            return PageChecksum.PageSize;
        }

        var read = _file.Read(buffer);
        if (_checked && read > 0)
        {
            Check(start, buffer[..read]);
        }

        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var start = _file.Position;
        if (start % PageChecksum.PageSize != 0 || buffer.Length % PageChecksum.PageSize != 0)
        {
            throw new InvalidOperationException("The vault's data file is written in whole pages.");
        }

        _file.EnsureWritable();
        _dirty = true;
        for (var at = 0; at < buffer.Length; at += PageChecksum.PageSize)
        {
            var index = (int)((start + at) / PageChecksum.PageSize);
            if (!_pending.TryGetValue(index, out var page))
            {
                _pending[index] = page = new byte[PageChecksum.PageSize];
            }

            buffer.Slice(at, PageChecksum.PageSize).CopyTo(page);
            _overridden.Remove((uint)index);
        }

        _file.Position = start + buffer.Length;
    }

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value)
    {
        _file.SetLength(value);
        _dirty = true;
        var pages = (int)(value / PageChecksum.PageSize);
        foreach (var index in _pending.Keys.Where(i => i >= pages).ToList())
        {
            _pending.Remove(index);
        }

        if (_checksums.Count > pages)
        {
            _checksums.RemoveRange(pages, _checksums.Count - pages);
        }
    }

    /// <summary>fsync, then the checksums of what is now on disk, replaced atomically (when anything was written).</summary>
    public override void Flush()
    {
        WritePending();
        _file.FlushToDisk();
        if (!_dirty)
        {
            return;
        }

        if (!_checked)
        {
            // No checksums were read at open: take them of every page now on disk, once.
            _checksums.Clear();
            var page = new byte[PageChecksum.PageSize];
            var saved = _file.Position;
            for (long index = 0; index < _file.Length / PageChecksum.PageSize; index++)
            {
                _file.Position = index * PageChecksum.PageSize;
                _file.ReadExactly(page);
                _checksums.Add(PageChecksum.Of(page, index));
            }

            _file.Position = saved;
            _checked = true;
        }

        WriteChecksums();
        _dirty = false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes the pages held since the last flush, each once, consecutive ones in one write.</summary>
    private void WritePending()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var saved = _file.Position;
        var run = new List<byte[]>();
        long runStart = -1;
        foreach (var (index, page) in _pending)
        {
            // Each page's checksum, taken once however often the checkpoint wrote it.
            while (_checksums.Count <= index)
            {
                _checksums.Add(0);
            }

            _checksums[(int)index] = PageChecksum.Of(page, index);
            if (run.Count > 0 && index != runStart + run.Count)
            {
                WriteRun(runStart, run);
                run.Clear();
            }

            if (run.Count == 0)
            {
                runStart = index;
            }

            run.Add(page);
        }

        WriteRun(runStart, run);
        _pending.Clear();
        _file.Position = saved;
    }

    private void WriteRun(long first, List<byte[]> pages)
    {
        var bytes = new byte[pages.Count * PageChecksum.PageSize];
        for (var i = 0; i < pages.Count; i++)
        {
            pages[i].CopyTo(bytes, i * PageChecksum.PageSize);
        }

        _file.Position = first * PageChecksum.PageSize;
        _file.Write(bytes);
    }

    private static List<uint> Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 12 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw Damaged(path);
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (count < 0 || bytes.Length != 12 + (4L * count) || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) != PageChecksum.Of(bytes.AsSpan(0, bytes.Length - 4), -1))
        {
            throw Damaged(path);
        }

        var checksums = new List<uint>(count);
        for (var i = 0; i < count; i++)
        {
            checksums.Add(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8 + (4 * i))));
        }

        return checksums;
    }

    private static VaultIntegrityException Damaged(string path) =>
        new($"The page checksums of the vault ('{path}') are damaged. Restore the vault from a backup.");

    private void Check(long start, ReadOnlySpan<byte> read)
    {
        // LiteDB reads whole pages at page boundaries; anything else (never seen) is checked by reading its pages whole.
        if (start % PageChecksum.PageSize != 0 || read.Length % PageChecksum.PageSize != 0)
        {
            var saved = _file.Position;
            var first = start / PageChecksum.PageSize;
            var last = (start + read.Length - 1) / PageChecksum.PageSize;
            var page = new byte[PageChecksum.PageSize];
            for (var index = first; index <= last; index++)
            {
                _file.Position = index * PageChecksum.PageSize;
                if (_file.Read(page) == PageChecksum.PageSize)
                {
                    CheckPage(page, index);
                }
            }

            _file.Position = saved;
            return;
        }

        for (var at = 0; at < read.Length; at += PageChecksum.PageSize)
        {
            CheckPage(read.Slice(at, PageChecksum.PageSize), (start + at) / PageChecksum.PageSize);
        }
    }

    private void CheckPage(ReadOnlySpan<byte> page, long index)
    {
        if (index < _checksums.Count && !_overridden.Contains((uint)index) && PageChecksum.Of(page, index) != _checksums[(int)index])
        {
            throw new VaultIntegrityException($"The vault file '{_file.Path}' is damaged: page {index} fails its checksum. Restore the vault from a backup.");
        }
    }

    private void WriteChecksums()
    {
        var bytes = new byte[12 + (4 * _checksums.Count)];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), _checksums.Count);
        for (var i = 0; i < _checksums.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8 + (4 * i)), _checksums[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), PageChecksum.Of(bytes.AsSpan(0, bytes.Length - 4), -1));
        var temporary = _checksumPath + ".tmp";
        File.Delete(temporary);
        using (var file = SecureFile.CreateNew(temporary))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _checksumPath, overwrite: true);
        DirectorySync.Flush(System.IO.Path.GetDirectoryName(_checksumPath)!);
    }
}
