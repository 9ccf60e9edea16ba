using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

// The writer's commit: a group's transaction staged into the manifest and a store commit, made durable, then the
// manifest, cache and rollback anchor made to match (see VaultWriter).
internal sealed partial class VaultWriter
{
    /// <summary>
    /// Works out a transaction's commit without changing anything: the manifest staged with its records, and the store
    /// commit that writes them (created, replaced, removed) with the touched buckets, MAC'd under <paramref name="keys"/>.
    /// </summary>
    /// <remarks>With <paramref name="chained"/> (a shared store), the commit carries its MAC'd link in the vault's history, and the staged manifest the digests of the bucket documents it writes (what the instance's later catch-ups compare with the store's rows).</remarks>
    internal static (StagedManifest Staged, StoreCommit Commit) Prepare(Manifest manifest, VaultTransaction transaction, MetadataKeys keys, bool chained = false)
    {
        var changes = new List<ManifestChange>(transaction.Changes.Count);
        foreach (var (key, pending) in transaction.Changes)
        {
            changes.Add(new ManifestChange(key, pending.Hash, pending.Tag, pending.Id));
        }

        var staged = manifest.Stage(changes, transaction.RewriteManifest, keys.BucketKey, transaction.Generation);
        var previous = chained && manifest.Generation > 0 ? manifest.Root.ToArray() : [];
        var commit = new StoreCommit(manifest.Generation, staged.Generation)
        {
            Erase = transaction.Erase,
            Root = staged.Root.ToArray(),
            Previous = previous,
            ChainMac = chained ? keys.ChainMac(staged.Generation, previous, staged.Root.ToArray()) : [],
        };
        foreach (var (key, pending) in transaction.Changes)
        {
            if (pending.Bytes is null)
            {
                if (pending.Existed)
                {
                    commit.Deletes.Add(pending.Id);
                }
            }
            else
            {
                (pending.Existed ? commit.Replaces : commit.Creates).Add(new StoredRecord(pending.Id, key, pending.Bytes));
            }
        }

        var head = staged.Head(transaction.Header.CurrentKekVersion);
        var documents = new Dictionary<int, RecordHash>(staged.BucketBytes.Count);
        foreach (var (bucket, entries) in staged.BucketBytes)
        {
            var record = new StoredRecord(RecordIds.Bucket(bucket), ManifestBucket.Key(bucket), ManifestBucket.Encode(bucket, head, entries, keys));
            if (chained)
            {
                documents[bucket] = RecordHash.Digest(record.Value); // what a later catch-up compares with the store's row
            }

            var stored = manifest.StoredBucketLength(bucket);
            if (stored < 0)
            {
                commit.Creates.Add(record);
            }
            else
            {
                commit.Replaces.Add(record);
                if (stored != record.Value.Length)
                {
                    commit.Resized.Add(record.Id);
                }
            }
        }

        return (chained ? staged with { DocumentHashes = documents } : staged, commit);
    }

    /// <summary>Puts the record of the operation running in this flow into the group (once, however many commits it makes).</summary>
    private void StageRecord(Group group)
    {
        if (Audit.AuditTrail.Current is { Staged: false, Completed: false } entry)
        {
            entry.Stage(_core.Time.GetUtcNow());
            group.Records.Add(entry);
        }
    }

    /// <summary>Commits a group under the lock; its members hear the outcome through <see cref="Group.Durable"/>.</summary>
    private async ValueTask CommitLockedAsync(Group group)
    {
        IReadOnlyList<Audit.AuditEntry> waiting = [];
        try
        {
            var transaction = group.Transaction;
            waiting = _core.Audit?.Stage(transaction, group.Records) ?? [];
            if (transaction.HasChanges)
            {
                await CommitLockedAsync(transaction, group).ConfigureAwait(false);
            }

            await group.ReleaseAsync().ConfigureAwait(false);
            group.Succeed();
        }
        catch (Exception ex)
        {
            await group.ReleaseAsync().ConfigureAwait(false);
            if (ex is StaleViewException)
            {
                NoteStale();
            }

            // The waiting records of others' operations wait again (the next commit takes them); the members' own
            // records are queued as failures when their operations end.
            _core.Audit?.Requeue(waiting);
            group.Fail(ex);
        }
    }

    private async ValueTask CommitLockedAsync(VaultTransaction transaction, Group group)
    {
        var shared = _core.Sync is not null;

        // On a shared store the view lock is held from before the commit is worked out to its hooks: a catch-up never
        // lands between them (it would find this commit, and the hooks would then take the view back to it), nor
        // between an optimistic group's base and the commit built on the view.
        if (shared)
        {
            await _view.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            if (group.MovedFrom(_core.Manifest))
            {
                // A catch-up (a notification, a read that missed) moved the view while the optimistic group's units of
                // work ran on it: what they decided was decided on the view before, so the commit must not be built
                // on the view after, which the database would accept.
                throw new StaleViewException(null);
            }

            var (staged, commit) = Prepare(_core.Manifest, transaction, transaction.ReplacementKeys ?? _core.Keys, chained: shared);
            if (transaction.ReplacementKeys is { } nextKeys)
            {
                // A root rotation: the anchor learns the new root's key before the commit, so that whichever root the
                // files are left under by a crash verifies it (and a failure here leaves nothing committed).
                var now = new Integrity.AnchorState(_core.Header.VaultId, _core.Manifest.Generation, _core.Manifest.Root, _core.Header.Lineage).Encode(_core.Keys, nextKeys);
                foreach (var anchor in new[] { _core.Anchoring.Anchor, transaction.ReplacementAnchor }.OfType<Integrity.IRollbackAnchor>().DistinctBy(a => a.Description))
                {
                    _core.Anchoring.Write(anchor, now, _core.Manifest.Generation, "nothing was committed; reopen the vault");
                }
            }

            if (shared)
            {
                _core.Sync!.Committing = commit.Generation;
            }

            var applying = _applying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                await ApplyLockedAsync(transaction, staged, commit, group).ConfigureAwait(false);
            }
            finally
            {
                _applying = null;
                applying.SetResult();
            }

            transaction.RunCommitted();
            _core.AdvanceAnchor();
        }
        finally
        {
            if (shared)
            {
                _core.Sync!.Committing = 0;
                _view.Release();
            }
        }
    }

    private async ValueTask ApplyLockedAsync(VaultTransaction transaction, StagedManifest staged, StoreCommit commit, Group group)
    {
        var write = group.Write;
        var shared = _core.Sync is not null;
        foreach (var snapshot in _core.Snapshots.Active)
        {
            // A backup in progress keeps what this commit replaces (it never fails the commit).
            await snapshot.PreserveAsync(commit).ConfigureAwait(false);
        }

        try
        {
            // Not cancellable from here on: a commit is all or nothing, and this one is under way.
            await (write?.CommitAsync(commit, CancellationToken.None) ?? _core.Store.CommitAsync(commit, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (StoreConflictException ex) when (ex.Tampered)
        {
            throw new VaultIntegrityException("A record the vault never wrote sits where this commit writes: the file was altered. Nothing was changed.", ex);
        }
        catch (StoreConflictException ex) when (group.Optimistic)
        {
            throw new StaleViewException(ex); // another instance committed first; the units of work run again
        }
        catch (StoreConflictException ex)
        {
            throw new VaultException(VaultErrorCode.Conflict, 409, "The change conflicts with one another writer committed first; nothing was changed.", ex);
        }
        catch (Exception ex) when (shared)
        {
            // A shared store: memory still holds the view before this commit, and the next write (or read that misses)
            // catches it up to whatever the database holds, this commit or not. Nothing to stop for.
            throw ex as VaultException ?? VaultErrors.StorageUnavailable("a write did not complete", ex);
        }
        catch (Exception ex)
        {
            // A commit that failed may still have reached storage (an fsync error after the commit): what is in memory
            // may no longer match it. Stop writing; a reopen reads the truth.
            _core.Fault();
            throw ex as VaultException ?? VaultErrors.StorageFailure("a write did not complete; the vault refuses writes until it is reopened", ex);
        }

        _core.Manifest.Apply(staged);
        foreach (var (key, pending) in transaction.Changes)
        {
            if (pending.Decoded is { } decoded && pending.Hash is { } hash)
            {
                _core.Cache.Set(key, hash, decoded);
            }
            else
            {
                _core.Cache.Remove(key);
            }
        }

        if (transaction.ChangesHeader)
        {
            _core.Header = transaction.Header;
        }
    }
}
