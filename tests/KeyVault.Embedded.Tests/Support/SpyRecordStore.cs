using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Wraps a real record store and keeps every record it was handed to write.</summary>
internal sealed class SpyRecordStore(IRecordStore inner) : IRecordStore
{
    private readonly List<StoredRecord> _written = [];

    /// <summary>Every record written, in order (manifest buckets included).</summary>
    public IReadOnlyList<StoredRecord> Written => _written;

    public IRecordStore Inner => inner;

    public string Location => inner.Location;

    /// <summary>When set, every commit throws it (a full or failing disk) and nothing is written.</summary>
    public Exception? FailWrites { get; set; }

    public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) => inner.ReadAsync(id, cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => inner.ReadManyAsync(ids, cancellationToken);

    public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(first, last, cancellationToken);

    public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => inner.IsEmptyAsync(cancellationToken);

    /// <summary>When set, a commit waits for it before it writes (a slow fsync the test controls).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Completes when a commit is waiting at <see cref="Gate"/>.</summary>
    public TaskCompletionSource AtGate { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many commits the vault made (failed ones included).</summary>
    public int Commits { get; private set; }

    /// <summary>The next commit waits at a new gate; returns the gate to open.</summary>
    public TaskCompletionSource HoldNextCommit()
    {
        AtGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        Commits++;
        if (Gate is { } gate)
        {
            Gate = null;
            AtGate.TrySetResult();
            await gate.Task;
        }

        if (FailWrites is { } failure)
        {
            throw failure;
        }

        await inner.CommitAsync(commit, cancellationToken);
        _written.AddRange(commit.Writes);
    }

    public void Dispose() => inner.Dispose();

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
