using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

/// <summary>How a unit of work may share its commit with others.</summary>
internal enum WriteMode
{
    /// <summary>With whatever other units of work are waiting (group commit): the usual case.</summary>
    Shared,

    /// <summary>
    /// In a commit of its own, with nothing before or after it: changes to the key hierarchy (a new key-encryption
    /// key, a retired one, a new root), whose work reasons about what is durable.
    /// </summary>
    Alone,
}

/// <summary>
/// The one path by which anything is written: runs each unit of work (<see cref="VaultTransaction"/>) under the vault's
/// write lock, then commits it: the manifest staged with the transaction's records, the touched manifest buckets
/// MAC'd with the commit's generation and root, all of it one durable store transaction; then the manifest and cache
/// made to match, the rollback anchor advanced, and the post-commit hooks run.
/// </summary>
/// <remarks>
/// <para>Group commit: while one commit is being made durable, the writers that arrive wait for the lock; when it is
/// free they run their work one after another into one shared transaction (each sees the ones before it, as in any
/// multi-step transaction), and the last of them to leave the lock commits it, with the audit records waiting, in one
/// store transaction and one fsync. A unit of work that throws is undone back to its savepoint and leaves the others'
/// changes alone. No writer returns before its commit is durable, and one whose commit failed gets the failure. So
/// one writer pays one fsync per write as before, and sixteen pay about one between them.</para>
/// <para>On a shared store a group is optimistic when it can be (see <c>OpenGroupAsync</c>): when its commit finds the
/// store moved on, nothing is committed and every unit of work in it runs again, in a group that takes the store's
/// lock. So units of work change nothing but their transaction, and may run more than once.</para>
/// <para>The lock is taken without the caller's cancellation token: a writer that stopped waiting could leave the
/// open transaction with nobody to commit it. The token is checked once the lock is held, before any work.</para>
/// </remarks>
internal sealed partial class VaultWriter : IDisposable
{
    /// <summary>At most this many units of work share one commit (so that a flood of writers still commits).</summary>
    internal const int MaxGroup = 64;

    /// <summary>
    /// How many times a unit of work runs at most: an optimistic group that finds its view stale is run again on a
    /// group that takes the store's lock, which cannot be stale; the third is only a bound.
    /// </summary>
    private const int MaxAttempts = 3;

    /// <summary>After a stale optimistic commit, this many groups take the store's lock before trying again without it.</summary>
    internal const int LockedAfterStale = 32;

    private readonly VaultCore _core;
    private readonly SemaphoreSlim _lock = new(1, 1);

    // Set in the flow that holds the lock (and the work it runs), so that a read in there never waits for the lock. It
    // also flows into whatever that work starts (a timer, a task), which may run after the lock is free: so a read
    // trusts it only while the lock is held by someone.
    private readonly AsyncLocal<bool> _holding = new();

    private volatile TaskCompletionSource? _applying;

    // Writers that asked for the lock and have not got it yet: while there are any, the open group waits for them.
    private int _arrivals;

    // The group being filled: only touched under the lock.
    private Group? _open;

    private long _staleGroups;

    public VaultWriter(VaultCore core)
    {
        _core = core;
    }

    /// <summary>How many writers are waiting for the lock (tests; the health of a busy vault).</summary>
    internal int Waiting => Volatile.Read(ref _arrivals);

    /// <summary>How many optimistic groups found their view stale and ran again (tests; a measure of contention).</summary>
    internal long StaleGroups => Volatile.Read(ref _staleGroups);

    /// <summary>Runs <paramref name="work"/> and commits what it wrote; its result is returned once the commit is durable.</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c> when the commit fails (the vault then refuses writes until reopened).</exception>
    public ValueTask<T> WriteAsync<T>(Func<VaultTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default) =>
        WriteAsync(work, WriteMode.Shared, cancellationToken);

    /// <summary>Runs <paramref name="work"/> and commits what it wrote, sharing the commit as <paramref name="mode"/> allows.</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c> when the commit fails (the vault then refuses writes until reopened).</exception>
    public async ValueTask<T> WriteAsync<T>(Func<VaultTransaction, ValueTask<T>> work, WriteMode mode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        for (var attempt = 1; ; attempt++)
        {
            var (group, member, result, failure) = await RunLockedAsync(work, mode, locked: attempt > 1, cancellationToken).ConfigureAwait(false);
            try
            {
                failure?.Throw();
                if (group is { Members: > 0 })
                {
                    // Also a unit of work that changed nothing but ran after others that did: what it read is theirs,
                    // so it returns only once that is durable (never a read of a change that may yet fail).
                    await group.Durable.ConfigureAwait(false);
                }
            }
            catch (StaleViewException ex)
            {
                // Built on a view another instance had moved past: nothing was committed. Run again, on a group that
                // takes the store's lock and catches up first (which cannot be stale: the bound is only a bound).
                Audit.AuditTrail.Current?.Unstage();
                Discard(result);
                if (attempt >= MaxAttempts)
                {
                    throw Stale(ex);
                }

                continue;
            }

            if (member is { } m)
            {
                group!.Transaction.RunAfterCommit(m.AfterFrom, m.AfterTo);
            }

            return result;
        }
    }

    /// <summary>
    /// Disposes what a run whose commit was not made returned, before its unit of work runs again: a backup's bundles
    /// hold unsealed key material.
    /// </summary>
    private static void Discard<T>(T result)
    {
        if (result is IDisposable disposable)
        {
            disposable.Dispose();
        }
        else if (result is System.Collections.IEnumerable items and not string)
        {
            foreach (var item in items)
            {
                (item as IDisposable)?.Dispose();
            }
        }
    }

    /// <summary>
    /// Makes the audit records waiting durable now, in the next commit (with whatever writes share it); returns when
    /// that commit is durable.
    /// </summary>
    public async ValueTask FlushAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var (group, _, _, failure) = await RunLockedAsync<bool>(null, WriteMode.Shared, locked: attempt > 1, CancellationToken.None).ConfigureAwait(false);
            failure?.Throw();
            try
            {
                await group!.Durable.ConfigureAwait(false);
                return;
            }
            catch (StaleViewException ex) when (attempt >= MaxAttempts)
            {
                throw Stale(ex);
            }
            catch (StaleViewException)
            {
            }
        }
    }

    /// <summary>A group was stale: other instances are writing, so the next groups take the lock (under the writer's lock).</summary>
    private void NoteStale()
    {
        _lockedGroups = LockedAfterStale;
        Interlocked.Increment(ref _staleGroups);
    }

    /// <summary>What a unit of work that stayed stale however often it ran reports (never expected: a bound only).</summary>
    private static VaultException Stale(StaleViewException ex) =>
        new(VaultErrorCode.Conflict, 409, "Other instances kept committing before this change could; nothing was changed.", ex);

    /// <param name="work">The unit of work; null for a flush of the waiting audit records.</param>
    /// <param name="mode">How it may share its commit.</param>
    /// <param name="locked">Whether its group must take the store's lock (a unit of work that ran on a stale view runs again so).</param>
    /// <param name="cancellationToken">Checked once the lock is held.</param>
    private async ValueTask<(Group? Group, (int AfterFrom, int AfterTo)? Member, T Result, System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure)> RunLockedAsync<T>(
        Func<VaultTransaction, ValueTask<T>>? work, WriteMode mode, bool locked, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _arrivals);
        await _lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        Interlocked.Decrement(ref _arrivals);
        _holding.Value = true;
        Group? group = null;
        (int, int)? member = null;
        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        try
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                _core.ThrowIfDisposed();
                if (_core.IsFaulted)
                {
                    throw _core.FaultReason;
                }

                if (mode == WriteMode.Alone && _open is { } before)
                {
                    _open = null;
                    await CommitLockedAsync(before).ConfigureAwait(false);
                    if (_core.IsFaulted || (before.Durable.IsFaulted && before.Durable.Exception?.InnerException is not StaleViewException))
                    {
                        throw VaultErrors.StorageFailure("the commit before this one did not complete, so this change to the key hierarchy was not made", null);
                    }
                }

                if (locked && _open is { Optimistic: true } optimistic)
                {
                    // A run again must not land on a view that may be stale once more: the open group commits first
                    // (its members hear its outcome as usual), and this one takes the lock.
                    _open = null;
                    await CommitLockedAsync(optimistic).ConfigureAwait(false);
                }

                group = _open ??= await OpenGroupAsync(mode, locked, cancellationToken).ConfigureAwait(false);
                if (work is null)
                {
                    // Only the records waiting: the record of an operation that flushes (a query of the trail) is not
                    // final until that operation ends, and waits for the next commit like any read's.
                    group.Flush = true;
                }
                else
                {
                    var tx = group.Transaction;
                    var mark = tx.Mark();
                    try
                    {
                        result = await work(tx).ConfigureAwait(false);
                    }
                    catch (VaultException) when (group.Optimistic)
                    {
                        tx.Rollback(mark);

                        // Refused on a view that may be stale (a secret another instance just made, not yet heard):
                        // the refusal stands only if the view is still the group's base and the store's head is that
                        // base; if not, the group cannot commit either, and every unit in it runs again on a group that
                        // catches up first.
                        if (!await IsCurrentAsync(group, cancellationToken).ConfigureAwait(false))
                        {
                            group.Stale = true;
                            throw new StaleViewException(null);
                        }

                        throw;
                    }
                    catch
                    {
                        tx.Rollback(mark);
                        throw;
                    }

                    if (tx.ChangedSince(mark))
                    {
                        member = (mark.After, tx.AfterCount);
                        group.Members++;
                        StageRecord(group);

                        if (mode == WriteMode.Alone || tx.ReplacementKeys is not null || tx.RewriteManifest)
                        {
                            group.Closed = true;
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
            }

            // The last writer to leave the lock commits the open group; while others wait for the lock, it stays open for them.
            if (_open is { } open)
            {
                if (open.Stale)
                {
                    _open = null; // it would be refused: fail it now, so that its units run again
                    await open.ReleaseAsync().ConfigureAwait(false);
                    NoteStale();
                    open.Fail(new StaleViewException(null));
                }
                else if (open.Members == 0 && !open.Flush)
                {
                    _open = null; // nothing staged: nothing to commit
                    await open.ReleaseAsync().ConfigureAwait(false);
                }
                else if (open.Closed || open.Members >= MaxGroup || Volatile.Read(ref _arrivals) == 0 || _core.IsDisposed)
                {
                    _open = null;
                    await CommitLockedAsync(open).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _holding.Value = false;
            _lock.Release();
        }

        return (group, member, result, failure);
    }

    public void Dispose()
    {
        _lock.Dispose();
        _view.Dispose();
    }

    /// <summary>
    /// Completes when no commit is between storage and the manifest (storage written, manifest not yet swapped): a
    /// reader whose bytes disagree with the hash it looked up waits for this, then looks again.
    /// </summary>
    public ValueTask SettledAsync() => _applying is { } applying ? new ValueTask(applying.Task) : ValueTask.CompletedTask;

    /// <summary>Waits for writers in flight to finish, and commits what they left for writers still waiting (the vault is closing).</summary>
    public void Drain()
    {
        _lock.Wait();
        try
        {
            if (_open is { } open)
            {
                _open = null;
                CommitLockedAsync(open).AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            _lock.Release();
        }
    }
}
