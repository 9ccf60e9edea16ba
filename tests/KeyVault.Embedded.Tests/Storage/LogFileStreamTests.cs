using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// The checksummed log beneath LiteDB on its own: whatever LiteDB appends, flushed at whatever points, reads back exactly
/// (from memory and from disk, before and after a reopen); a torn tail is hidden and replaced; damage is an error.
/// </summary>
public sealed class LogFileStreamTests : IDisposable
{
    private const int Page = PageChecksum.PageSize;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Pages_appended_and_flushed_at_random_points_read_back_exactly_before_and_after_a_reopen(int seed)
    {
        var random = new Random(seed);
        var path = _dir.File("log.db");
        var written = new List<byte[]>();
        using (var log = Open(path))
        {
            // More than a segment holds, more than is held back before a flush, more than is kept in memory; emptied
            // (as a checkpoint does) now and then, after which pages read from disk must be the new ones.
            while (written.Count < 3000)
            {
                if (random.Next(8) == 0)
                {
                    log.SetLength(0);
                    written.Clear();
                }

                var run = random.Next(1, 700);
                var bytes = new byte[run * Page];
                random.NextBytes(bytes);
                log.Position = log.Length;
                log.Write(bytes);
                for (var i = 0; i < run; i++)
                {
                    written.Add(bytes.AsSpan(i * Page, Page).ToArray());
                }

                if (random.Next(3) == 0)
                {
                    log.FlushToDisk();
                }

                // LiteDB reads pages back at any time, written out or not.
                var probe = random.Next(written.Count);
                ReadPage(log, probe).Should().Equal(written[probe], $"page {probe} of {written.Count}");
            }

            log.FlushToDisk();
            log.Length.Should().Be((long)written.Count * Page);
            for (var i = 0; i < written.Count; i++)
            {
                ReadPage(log, i).Should().Equal(written[i], $"page {i}");
            }
        }

        using var reopened = Open(path);
        reopened.Length.Should().Be((long)written.Count * Page);
        for (var i = 0; i < written.Count; i++)
        {
            ReadPage(reopened, i).Should().Equal(written[i], $"page {i} after a reopen");
        }
    }

    [Fact]
    public void After_the_log_is_emptied_pages_read_from_disk_are_the_new_ones()
    {
        using var log = Open(_dir.File("log.db"));
        foreach (var round in new[] { 1, 2, 3 })
        {
            // More pages than are kept in memory, so the first ones are read back from disk.
            var pages = Pages(1100, round);
            log.Write(pages);
            log.FlushToDisk();
            for (var i = 0; i < 40; i++)
            {
                ReadPage(log, i).Should().Equal(pages.AsSpan(i * Page, Page).ToArray(), $"round {round}, page {i}");
            }

            log.SetLength(0);
            log.Position = 0;
        }
    }

    [Fact]
    public void A_segment_torn_at_the_end_is_hidden_and_the_next_write_replaces_it()
    {
        var path = _dir.File("log.db");
        var first = Pages(3, 1);
        using (var log = Open(path))
        {
            log.Write(first);
            log.FlushToDisk();
            log.Write(Pages(2, 2));
            log.FlushToDisk();
        }

        // A crash cut the second segment short: it was never acknowledged.
        var length = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(length - 100);
        }

        var next = Pages(1, 3);
        using (var log = Open(path))
        {
            log.Length.Should().Be(3L * Page);
            log.Position = log.Length;
            log.Write(next);
            log.FlushToDisk();
        }

        using var reopened = Open(path);
        reopened.Length.Should().Be(4L * Page);
        ReadPage(reopened, 2).Should().Equal(first.AsSpan(2 * Page, Page).ToArray());
        ReadPage(reopened, 3).Should().Equal(next);
    }

    [Fact]
    public void A_damaged_page_or_segment_header_is_an_integrity_error()
    {
        var path = _dir.File("log.db");
        using (var log = Open(path))
        {
            log.Write(Pages(3, 1));
            log.FlushToDisk();
            log.Write(Pages(3, 2));
            log.FlushToDisk();
        }

        var pristine = File.ReadAllBytes(path);
        foreach (var offset in new[] { 10, LogFileStream.HeaderSize + 5000, LogFileStream.HeaderSize + (3 * Page) + 20, pristine.Length - 1 })
        {
            var damaged = pristine.ToArray();
            damaged[offset] ^= 0x10;
            Files.WriteOwnerOnly(path, damaged);
            FluentActions.Invoking(() =>
            {
                using var log = Open(path);
                for (var i = 0; i < log.Length / Page; i++)
                {
                    ReadPage(log, i);
                }
            }).Should().Throw<VaultIntegrityException>($"byte {offset} flipped");
        }
    }

    private static LogFileStream Open(string path)
    {
        var file = new VaultFileStream(SecureFile.OpenExclusive(path, out _), path, writable: true);
        try
        {
            return new LogFileStream(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] ReadPage(LogFileStream log, int index)
    {
        var page = new byte[Page];
        log.Position = (long)index * Page;
        log.ReadExactly(page);
        return page;
    }

    private static byte[] Pages(int count, int seed)
    {
        var bytes = new byte[count * Page];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
