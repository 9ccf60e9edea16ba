using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The one path by which anything is written: runs a unit of work (<see cref="VaultTransaction"/>) under the vault's
/// write lock, then commits it: the manifest staged with the transaction's records, the touched manifest buckets
/// MAC'd with the commit's generation and root, all of it one durable store transaction; then the manifest and cache
/// made to match, the rollback anchor advanced, and the post-commit hooks run.
/// </summary>
internal sealed class VaultWriter : IDisposable
{
    private readonly VaultCore _core;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile TaskCompletionSource? _applying;

    public VaultWriter(VaultCore core)
    {
        _core = core;
    }

    /// <summary>Runs <paramref name="work"/> and commits what it wrote; its result is returned once the commit is durable.</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c> when the commit fails (the vault then refuses writes until reopened).</exception>
    public async ValueTask<T> WriteAsync<T>(Func<VaultTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        VaultTransaction transaction;
        T result;
        try
        {
            _core.ThrowIfDisposed();
            if (_core.IsFaulted)
            {
                throw VaultErrors.StorageFailure("an earlier write did not complete, so the vault refuses writes until it is reopened", null);
            }

            transaction = new VaultTransaction(_core);
            result = await work(transaction).ConfigureAwait(false);
            if (transaction.HasChanges)
            {
                // The write's own record, and those waiting, commit with it.
                _core.Audit?.Stage(transaction);
                await CommitLockedAsync(transaction).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }

        transaction.RunAfterCommit();
        return result;
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// Completes when no commit is between storage and the manifest (storage written, manifest not yet swapped): a
    /// reader whose bytes disagree with the hash it looked up waits for this, then looks again.
    /// </summary>
    public ValueTask SettledAsync() => _applying is { } applying ? new ValueTask(applying.Task) : ValueTask.CompletedTask;

    /// <summary>Waits for writers in flight to finish (the vault is closing).</summary>
    public void Drain()
    {
        _lock.Wait();
        _lock.Release();
    }

    /// <summary>
    /// Works out a transaction's commit without changing anything: the manifest staged with its records, and the store
    /// commit that writes them (created, replaced, removed) with the touched buckets, MAC'd under <paramref name="keys"/>.
    /// </summary>
    internal static (StagedManifest Staged, StoreCommit Commit) Prepare(Manifest manifest, VaultTransaction transaction, MetadataKeys keys)
    {
        var changes = new List<ManifestChange>(transaction.Changes.Count);
        foreach (var (key, pending) in transaction.Changes)
        {
            changes.Add(new ManifestChange(key, pending.Hash, pending.Tag, pending.Id));
        }

        var staged = manifest.Stage(changes, transaction.RewriteManifest, keys.BucketKey);
        var commit = new StoreCommit(manifest.Generation, staged.Generation) { Erase = transaction.Erase };
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
        foreach (var (bucket, entries) in staged.BucketBytes)
        {
            var record = new StoredRecord(RecordIds.Bucket(bucket), ManifestBucket.Key(bucket), ManifestBucket.Encode(bucket, head, entries, keys));
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

        return (staged, commit);
    }

    private async ValueTask CommitLockedAsync(VaultTransaction transaction)
    {
        var (staged, commit) = Prepare(_core.Manifest, transaction, transaction.ReplacementKeys ?? _core.Keys);
        if (transaction.ReplacementKeys is { } nextKeys)
        {
            // A root rotation: the anchor learns the new root's key before the commit, so that whichever root the files
            // are left under by a crash verifies it (and a failure here leaves nothing committed).
            var now = new Integrity.AnchorState(_core.Header.VaultId, _core.Manifest.Generation, _core.Manifest.Root).Encode(_core.Keys, nextKeys);
            foreach (var anchor in new[] { _core.Anchoring.Anchor, transaction.ReplacementAnchor }.OfType<Integrity.IRollbackAnchor>().DistinctBy(a => a.Description))
            {
                _core.Anchoring.Write(anchor, now, _core.Manifest.Generation, "nothing was committed; reopen the vault");
            }
        }

        var applying = _applying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await ApplyLockedAsync(transaction, staged, commit).ConfigureAwait(false);
        }
        finally
        {
            _applying = null;
            applying.SetResult();
        }

        transaction.RunCommitted();
        _core.AdvanceAnchor();
    }

    private async ValueTask ApplyLockedAsync(VaultTransaction transaction, StagedManifest staged, StoreCommit commit)
    {
        try
        {
            // Not cancellable from here on: a commit is all or nothing, and this one is under way.
            await _core.Store.CommitAsync(commit, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreConflictException ex) when (ex.Tampered)
        {
            throw new VaultIntegrityException("A record the vault never wrote sits where this commit writes: the file was altered. Nothing was changed.", ex);
        }
        catch (StoreConflictException ex)
        {
            throw new VaultException(VaultErrorCode.Conflict, 409, "The change conflicts with one another writer committed first; nothing was changed.", ex);
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
