using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// A shared store that passes everything to another, and runs a test's step once, the next time a head is read, before
/// the head read is answered: a way to land something (a catch-up, another instance's commit) inside that await.
/// </summary>
internal sealed class HookedSharedStore(ISharedRecordStore inner) : ISharedRecordStore
{
    private Func<ValueTask>? _beforeNextHead;

    /// <summary>Runs <paramref name="step"/> once, inside the next <see cref="ReadHeadAsync"/>, after the head is read and before it is returned.</summary>
    public void BeforeNextHeadReturns(Func<ValueTask> step) => _beforeNextHead = step;

    public event Action<long>? Advanced
    {
        add => inner.Advanced += value;
        remove => inner.Advanced -= value;
    }

    public long LatestHeard => inner.LatestHeard;

    public TimeSpan? PollInterval => inner.PollInterval;

    public string VaultName => inner.VaultName;

    public string Location => inner.Location;

    public async ValueTask<StoreHead> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        var head = await inner.ReadHeadAsync(cancellationToken);
        if (Interlocked.Exchange(ref _beforeNextHead, null) is { } step)
        {
            await step();
        }

        return head;
    }

    public ValueTask<IStoreWrite> BeginWriteAsync(CancellationToken cancellationToken = default) => inner.BeginWriteAsync(cancellationToken);

    public ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken = default) => inner.OpenSnapshotAsync(cancellationToken);

    public ValueTask<IAsyncDisposable?> TryLeaseAsync(string name, CancellationToken cancellationToken = default) => inner.TryLeaseAsync(name, cancellationToken);

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) => inner.ReadAsync(id, cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => inner.ReadManyAsync(ids, cancellationToken);

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(first, last, cancellationToken);

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => inner.IsEmptyAsync(cancellationToken);

    public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default) => inner.CommitAsync(commit, cancellationToken);

    public void Dispose() => inner.Dispose();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
