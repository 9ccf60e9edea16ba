using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

// A group of units of work that commit together (see VaultWriter).
internal sealed partial class VaultWriter
{
    /// <summary>The units of work that share one commit.</summary>
    private sealed class Group(VaultTransaction transaction)
    {
        private readonly TaskCompletionSource _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public VaultTransaction Transaction { get; } = transaction;

        /// <summary>The audit records of the operations whose changes are in it.</summary>
        public List<Audit.AuditEntry> Records { get; } = [];

        /// <summary>How many units of work changed something in it.</summary>
        public int Members { get; set; }

        /// <summary>Whether a flush of the audit records asked for it (it commits even with no change).</summary>
        public bool Flush { get; set; }

        /// <summary>Whether it must commit now, with nothing more (a change to the key hierarchy is in it).</summary>
        public bool Closed { get; set; }

        /// <summary>On a shared store, the store's write lock the group holds until it commits (none when optimistic).</summary>
        public IStoreWrite? Write { get; init; }

        /// <summary>
        /// On a shared store, a group built on the instance's view with no lock taken: its commit applies only if the
        /// store is still at that view's head (<see cref="IRecordStore.CommitAsync"/>'s precondition), and fails with
        /// <see cref="StaleViewException"/> if not.
        /// </summary>
        public bool Optimistic { get; init; }

        /// <summary>Whether it is known to be built on a stale view (it is failed, not committed).</summary>
        public bool Stale { get; set; }

        /// <summary>
        /// An optimistic group's base: the view (generation and manifest root) its units of work run on. Its commit is
        /// built only on that view; a view moved meanwhile (a catch-up) makes it stale.
        /// </summary>
        public (long Generation, Integrity.RecordHash Root)? Base { get; init; }

        /// <summary>Whether the view has moved from the group's base (a catch-up landed since it opened).</summary>
        public bool MovedFrom(Manifest view) => Base is { } at && (at.Generation != view.Generation || !at.Root.Equals(view.Root));

        /// <summary>Lets go of the store's write lock (rolled back when nothing was committed under it).</summary>
        public ValueTask ReleaseAsync() => Write?.DisposeAsync() ?? ValueTask.CompletedTask;

        /// <summary>Completes when the commit is durable; faults with the commit's failure.</summary>
        public Task Durable => _durable.Task;

        public void Succeed() => _durable.TrySetResult();

        public void Fail(Exception failure) => _durable.TrySetException(failure);
    }
}
