using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The writer on a shared store (a database): each group takes the store's write lock and catches the view up before
/// its units of work run; catch-ups outside a group (a notification, a read that missed, <c>RefreshAsync</c>) read a
/// snapshot under a view lock of their own.
/// </summary>
internal sealed partial class VaultWriter
{
    // On a shared store: held by each catch-up, and by a commit while it makes its state the view, so that the view
    // moves one step at a time. Never held while waiting for the database's lock: a catch-up (a read that missed, a
    // notification) never waits behind another instance's commit, nor behind this instance's writer doing so.
    private readonly SemaphoreSlim _view = new(1, 1);
    private readonly AsyncLocal<bool> _holdingView = new();

    // How many more groups take the store's lock before one tries without it (set after a stale optimistic commit);
    // only touched under the writer's lock.
    private int _lockedGroups;

    /// <summary>
    /// A new group. On a shared store it is optimistic when it can be: built on the instance's view with no round trip,
    /// its commit applies only if no other instance committed since (one round trip in all), and its units of work run
    /// again on a locked group if one did. Otherwise (a change to the key hierarchy, the vault's creation, a unit of
    /// work that ran on a stale view running again, a commit heard and not caught up with, other instances writing
    /// lately) it holds the store's write lock from here to its commit, and the view is first caught up to what the lock
    /// reports: every unit of work in it runs on the vault as all instances left it.
    /// </summary>
    private async ValueTask<Group> OpenGroupAsync(WriteMode mode, bool locked, CancellationToken cancellationToken)
    {
        if (_core.Store is not ISharedRecordStore shared)
        {
            return new Group(new VaultTransaction(_core));
        }

        var heard = shared.LatestHeard;
        if (mode == WriteMode.Shared && !locked && _lockedGroups == 0 && _core.Manifest.Generation > 0 && (heard <= _core.Manifest.Generation || heard == long.MaxValue))
        {
            return new Group(new VaultTransaction(_core)) { Optimistic = true, Base = (_core.Manifest.Generation, _core.Manifest.Root) };
        }

        if (_lockedGroups > 0)
        {
            _lockedGroups--;
        }

        var write = await shared.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CatchUpAsync(shared, write.Head, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await write.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new Group(new VaultTransaction(_core)) { Write = write };
    }

    /// <summary>
    /// Whether an optimistic group's refusal stands (a unit of work in it was refused): its base is still the view, and
    /// the store's head is that base now.
    /// </summary>
    private async ValueTask<bool> IsCurrentAsync(Group group, CancellationToken cancellationToken)
    {
        if (_core.Store is not ISharedRecordStore shared || _core.Sync is null || group.Base is not { } at)
        {
            return true;
        }

        // A catch-up that landed while the group's units of work ran moved the view past the group's base: what they
        // read may be the newer records under the older listing, so nothing they decided stands.
        if (group.MovedFrom(_core.Manifest))
        {
            return false;
        }

        // The head is compared with the base, not with the view: a catch-up can land while the head is read and make
        // the view the head, though what the units of work read was read under the base's listing. A head still at the
        // base (the database did not move since) means every record they read was the base's.
        var head = await shared.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
        return head.Is(at.Generation, at.Root);
    }

    /// <summary>
    /// Catches this instance's view up with what other instances committed to a shared store (nothing for a file):
    /// after it, reads see every commit acknowledged before it began. Waits for the writers ahead of it.
    /// </summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c>, or <c>RollbackDetected</c> when the store went back.</exception>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken)
    {
        if (_core.Store is not ISharedRecordStore shared || _core.Sync is not { } sync)
        {
            return;
        }

        if (_core.IsDisposed)
        {
            return;
        }

        if (_core.IsFaulted)
        {
            throw _core.FaultReason;
        }

        var head = await shared.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
        if (!sync.IsAt(head))
        {
            // What is new is read from one snapshot of the database: no other instance's lock is waited for.
            await CatchUpAsync(shared, head, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One catch-up at a time, under the view lock (see <see cref="_view"/>).</summary>
    private async ValueTask CatchUpAsync(ISharedRecordStore shared, StoreHead head, CancellationToken cancellationToken)
    {
        await _view.WaitAsync(cancellationToken).ConfigureAwait(false);
        _holdingView.Value = true;
        try
        {
            if (_core.IsFaulted)
            {
                throw _core.FaultReason;
            }

            await _core.Sync!.CatchUpAsync(shared, head, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _holdingView.Value = false;
            _view.Release();
        }
    }

    /// <summary>
    /// What a reader whose bytes disagree with the hash it looked up waits for before looking again: no commit half-way
    /// (<see cref="SettledAsync"/>), and on a shared store the view caught up (the record was replaced by another
    /// instance). Inside the writer's lock the view is left as the group's units of work found it: a locked group's is
    /// the head, and an optimistic group's is judged when it commits or when a refusal in it is checked
    /// (<see cref="IsCurrentAsync"/>), so a record another instance rewrote makes that group run again.
    /// </summary>
    public ValueTask SettleAsync() =>
        _core.Sync is not null && !(_holding.Value && _lock.CurrentCount == 0) && !(_holdingView.Value && _view.CurrentCount == 0)
            ? RefreshAsync(CancellationToken.None)
            : SettledAsync();
}

/// <summary>
/// An optimistic group's commit was refused because another instance committed first (or a unit of work in it was
/// refused on a view that is not the store's head): nothing was committed, and its units of work run again. Never
/// leaves the writer.
/// </summary>
internal sealed class StaleViewException(Exception? inner) : Exception("The view this commit was built on is no longer the store's head.", inner);
