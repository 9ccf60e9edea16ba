using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>A vault file stream that records every write and flush, and keeps a copy of every byte written.</summary>
internal sealed class RecordingVaultFileStream : VaultFileStream
{
    private readonly object _sync = new();
    private readonly List<string> _events = [];
    private readonly MemoryStream _written = new();

    public RecordingVaultFileStream(FileStream file, string path, bool writable)
        : base(file, path, writable)
    {
    }

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_sync)
            {
                return _events.ToList();
            }
        }
    }

    public byte[] AllBytesWritten
    {
        get
        {
            lock (_sync)
            {
                return _written.ToArray();
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>When set, every write fails as it does on a full disk (ENOSPC), until cleared.</summary>
    public bool SimulateDiskFull { get; set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (SimulateDiskFull)
        {
            throw new IOException("No space left on device", 28);
        }

        base.Write(buffer);
        lock (_sync)
        {
            _events.Add("write");
            _written.Write(buffer);
        }
    }

    /// <summary>When set, the next fsync fails as a full or failing disk would.</summary>
    public bool FailNextFlush { get; set; }

    public override void FlushToDisk()
    {
        if (FailNextFlush)
        {
            FailNextFlush = false;
            throw new IOException("Simulated fsync failure (EIO).");
        }

        base.FlushToDisk();
        lock (_sync)
        {
            _events.Add("fsync");
        }
    }
}
