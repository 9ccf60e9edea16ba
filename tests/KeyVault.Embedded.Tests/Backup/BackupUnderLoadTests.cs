using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Backup;

/// <summary>
/// A whole-vault backup taken while writers create, update, delete and purge and readers read: the backup is one
/// commit's state, so each writer's sequential writes appear as a prefix, every write acknowledged before the backup
/// began is in it, and nothing begun after it ended.
/// </summary>
public sealed class BackupUnderLoadTests : VaultTestBase
{
    private const int Seeded = 400;

    [Fact]
    public async Task A_backup_during_writes_holds_one_consistent_generation()
    {
        await Secrets.SetSecretAsync("stable", "v");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < Seeded; i += 8)
            {
                await Secrets.SetSecretAsync($"seed{i}", "v");
            }
        })));

        int[] acknowledged = [-1, -1, -1]; // creates, counter updates, delete-then-purge of seeded secrets
        var signal = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var writers = new[]
        {
            Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    await Secrets.SetSecretAsync($"new{i}", $"v{i}");
                    Acknowledge(0, i);
                }
            }),
            Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    await Secrets.SetSecretAsync("counter", $"{i}");
                    Acknowledge(1, i);
                }
            }),
            Task.Run(async () =>
            {
                for (var i = 0; i < Seeded && !stop.IsCancellationRequested; i++)
                {
                    await Secrets.StartDeleteSecretAsync($"seed{i}");
                    await Secrets.PurgeDeletedSecretAsync($"seed{i}");
                    Acknowledge(2, i);
                }
            }),
        };
        var readers = Enumerable.Range(0, 1).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                (await Secrets.GetSecretAsync("stable")).Value.Should().Be("v");
                await Task.Yield();
            }
        })).ToArray();

        // Let the writers start, note what they had acknowledged, then back up through a destination that lets the
        // backup go on only as the writers make progress: writes are forced to interleave with the copy.
        while (acknowledged.Any(a => Volatile.Read(ref a) < 0))
        {
            await signal.WaitAsync();
        }

        var before = acknowledged.ToArray();
        var destination = new InterleavingStream(signal, () => acknowledged.Sum());
        var result = await Vault.BackupAsync(destination);
        var after = acknowledged.ToArray();
        await stop.CancelAsync();
        await Task.WhenAll([.. writers, .. readers]);
        destination.Gates.Should().BeGreaterThan(3, "the copy waited for writers several times");
        result.LongestWriterWait.Should().BeGreaterThan(TimeSpan.Zero);

        destination.Position = 0;
        await EmbeddedVault.RestoreAsync(destination, TestVaults.Options(Dir.File("restored.db"), Key, Time));
        await using var restored = await TestVaults.OpenAsync(Dir.File("restored.db"), Key, Time);

        var created = (await restored.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => p.Name).Where(n => n.StartsWith("new", StringComparison.Ordinal))
            .Select(n => int.Parse(n[3..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        created.Should().Equal(Enumerable.Range(0, created.Count), "a writer's creates appear as a prefix");
        (created.Count - 1).Should().BeInRange(before[0], after[0] + 1);

        var counter = int.Parse((await restored.Secrets.GetSecretAsync("counter")).Value, System.Globalization.CultureInfo.InvariantCulture);
        counter.Should().BeInRange(before[1], after[1] + 1);
        (await restored.Secrets.GetPropertiesOfSecretVersionsAsync("counter").CountAsync()).Should().Be(counter + 1, "every version up to the current one, none after");

        var activeNames = (await restored.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => p.Name).ToHashSet();
        var deletedNames = (await restored.Secrets.GetDeletedSecretsAsync().ToListAsync()).Select(d => d.Name).ToHashSet();
        var states = Enumerable.Range(0, Seeded).Select(i => activeNames.Contains($"seed{i}") ? "active" : deletedNames.Contains($"seed{i}") ? "deleted" : "purged").ToList();

        var purged = states.TakeWhile(s => s == "purged").Count();
        states.Skip(purged).SkipWhile(s => s == "deleted").Should().OnlyContain(s => s == "active", "purges, then at most the one in between, then the untouched ones");
        states.Count(s => s == "deleted").Should().BeLessThanOrEqualTo(1);
        (purged - 1).Should().BeInRange(before[2], after[2] + 1);

        void Acknowledge(int writer, int index)
        {
            Volatile.Write(ref acknowledged[writer], index);
            signal.Release();
        }
    }

    /// <summary>A memory stream that, every 8 KiB written, waits until the writers have acknowledged three more writes.</summary>
    private sealed class InterleavingStream(SemaphoreSlim signal, Func<int> acknowledged) : MemoryStream
    {
        private long _sinceGate;

        public int Gates { get; private set; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await base.WriteAsync(buffer, cancellationToken);
            _sinceGate += buffer.Length;
            if (_sinceGate >= 8192)
            {
                _sinceGate = 0;
                Gates++;
                var target = acknowledged() + 3;
                while (acknowledged() < target)
                {
                    await signal.WaitAsync(cancellationToken);
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
