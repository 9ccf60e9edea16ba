using System.Security.Cryptography;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// Keeps one instance's view of a vault in a shared store (a database) level with what every instance committed:
/// given the head the store reports, it does nothing (the view is at it), catches the view up (loads and authenticates
/// the manifest, the new key-encryption keys, the header, access control and the audit chain's end, as an open
/// does), or refuses a store that went back (a restored dump, a replica promoted without the latest commits).
/// </summary>
/// <remarks>
/// Runs under the writer's lock, and for a catch-up with the store's write lock held, so that nothing commits while it
/// reads: everything it reads is of the one generation it checks. A failure leaves the old view in place (a view that
/// is only behind, never wrong); a refusal faults the vault.
/// </remarks>
internal sealed class VaultSync(VaultCore core) : IDisposable
{
    private readonly VaultCore _core = core;
    private ITimer? _timer;
    private ISharedRecordStore? _watched;

    // 0 idle, 1 refreshing, 2 refreshing and asked again meanwhile.
    private int _refresh;

    /// <summary>How many times this instance caught its view up (tests, telemetry).</summary>
    public long CatchUps { get; private set; }

    /// <summary>Raised, under the writer's lock, each time the view caught up: the generation it is at now (tests).</summary>
    public event Action<long>? CaughtUp;

    /// <summary>
    /// Catches up whenever the store reports another instance's commit, and asks for its head every
    /// <see cref="ISharedRecordStore.PollInterval"/> (on the vault's clock) in case a report was lost.
    /// </summary>
    public void Watch(ISharedRecordStore store)
    {
        _watched = store;
        store.Advanced += OnAdvanced;
        if (store.PollInterval is { } interval)
        {
            _timer = _core.Time.CreateTimer(static state => ((VaultSync)state!).Request(), this, interval, interval);
        }
    }

    /// <summary>Stops watching (the vault is closing).</summary>
    public void Dispose()
    {
        if (_watched is { } store)
        {
            store.Advanced -= OnAdvanced;
        }

        _timer?.Dispose();
    }

    /// <summary>Completes when no background catch-up is running (tests).</summary>
    internal Task Idle { get; private set; } = Task.CompletedTask;

    private void OnAdvanced(long generation)
    {
        if (generation != _core.Manifest.Generation)
        {
            Request();
        }
    }

    /// <summary>Runs a catch-up in the background, one at a time; a request during one runs another after it.</summary>
    private void Request()
    {
        if (_core.IsDisposed || _core.IsFaulted)
        {
            return;
        }

        while (Volatile.Read(ref _refresh) is var state and < 2)
        {
            if (Interlocked.CompareExchange(ref _refresh, state + 1, state) == state)
            {
                if (state == 0)
                {
                    Idle = Task.Run(RefreshLoopAsync);
                }

                return;
            }
        }
    }

    private async Task RefreshLoopAsync()
    {
        do
        {
            Volatile.Write(ref _refresh, 1);
            try
            {
                await _core.Writer.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (!_core.IsDisposed && !(ex is VaultException { ErrorCode: var code } && code == VaultErrorCode.RollbackDetected))
                {
                    _core.Telemetry.CatchUpFailed(_core.Header.VaultId, ex);
                }
            }
        }
        while (Interlocked.CompareExchange(ref _refresh, 0, 1) != 1);
    }

    /// <summary>Whether the view is at <paramref name="head"/> (same generation, same manifest root).</summary>
    public bool IsAt(StoreHead head) => head.Generation == _core.Manifest.Generation && RootMatches(head);

    /// <summary>Brings the view to <paramref name="head"/>, or refuses a store that is behind it or holds another history.</summary>
    /// <exception cref="VaultException"><c>RollbackDetected</c> (the vault is then faulted), or a failure to read.</exception>
    /// <exception cref="VaultIntegrityException">What the store holds at that head fails its checks.</exception>
    public async ValueTask CatchUpAsync(StoreHead head, CancellationToken cancellationToken)
    {
        var ours = _core.Manifest.Generation;
        if (head.Generation == ours)
        {
            if (!RootMatches(head))
            {
                throw Refuse($"the database is at generation {ours}, as this instance is, but holds other records than this instance committed or read at that generation (it was restored from another copy, or a replica missing the latest commits was promoted and then written to)");
            }

            return;
        }

        if (head.Generation < ours)
        {
            throw Refuse($"the database is at generation {head.Generation}, and this instance has seen generation {ours}: it was restored to an older copy, or a replica missing the latest commits was promoted");
        }

        await LoadAsync(head, cancellationToken).ConfigureAwait(false);
        CatchUps++;
        _core.Telemetry.CaughtUp(_core.Header.VaultId, ours, head.Generation);
        CaughtUp?.Invoke(head.Generation);
    }

    private bool RootMatches(StoreHead head) =>
        head.Generation == 0 || (head.Root.Length == RecordHash.Size && RecordHash.Read(head.Root.Span).Equals(_core.Manifest.Root));

    private VaultException Refuse(string detail)
    {
        var refusal = VaultErrors.RollbackDetected($"{detail}. This instance refuses to write (reads serve what it had verified); restore the database to its latest state, or reopen the vault to accept the database as it is now");
        _core.Fault(refusal, keepCache: true);
        _core.Telemetry.RollbackRefused(_core.Header.VaultId, detail);
        return refusal;
    }

    private async ValueTask LoadAsync(StoreHead head, CancellationToken cancellationToken)
    {
        var store = _core.Store;
        var keks = await store.ReadRangeAsync(RecordIds.FirstKek, RecordIds.LastKek, cancellationToken).ConfigureAwait(false);
        var buckets = await store.ReadRangeAsync(RecordIds.FirstBucket, RecordIds.LastBucket, cancellationToken).ConfigureAwait(false);
        await UnwrapNewKeysAsync(keks, cancellationToken).ConfigureAwait(false);

        var (manifest, claimedKek) = Manifest.Load(buckets, _core.Keys);
        if (manifest.Generation != head.Generation || (head.Root.Length == RecordHash.Size && !RecordHash.Read(head.Root.Span).Equals(manifest.Root)))
        {
            throw new VaultIntegrityException($"The database's head (generation {head.Generation}) is not the commit its manifest authenticates (generation {manifest.Generation}): the database was altered.");
        }

        var header = await ReadHeaderAsync(manifest, cancellationToken).ConfigureAwait(false);
        if (header.VaultId != _core.Header.VaultId)
        {
            throw new VaultIntegrityException("The database now holds another vault's header where this vault's is: the database was altered.");
        }

        if (!_core.Keys.MatchesRoot(header.RootCheck) || !string.Equals(header.Root.Kind, _core.Header.Root.Kind, StringComparison.Ordinal))
        {
            // Another instance rotated the root: this one holds the old root only, so it cannot follow.
            var refusal = VaultErrors.RootKeyMismatch("another instance moved the vault to a new root; reopen this instance with the new root");
            _core.Fault(refusal);
            throw refusal;
        }

        if (header.CurrentKekVersion != claimedKek || _core.Ring.Get(header.CurrentKekVersion).IsEmpty)
        {
            throw new VaultIntegrityException("The vault's last commit is authenticated by another key-encryption key than its header names: the database was altered.");
        }

        foreach (var kek in keks)
        {
            VerifiedRecord.Check(kek.Key, kek.Value, manifest.TryGet(kek.Key, out var listed) ? listed.Hash : default);
        }

        // Only now does the instance see the new state: the manifest first (what exists), then what was read through it.
        _core.Ring.SetCurrent(header.CurrentKekVersion);
        _core.Manifest.ReplaceWith(manifest);
        _core.Header = header;
        _core.Access.Apply(await Access.AccessControl.ReadAsync(new Lifecycle.VaultSettings(_core), cancellationToken).ConfigureAwait(false));
        if (_core.Audit is { } audit)
        {
            await audit.LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        _core.AdvanceAnchor();
    }

    private async ValueTask<VaultHeader> ReadHeaderAsync(Manifest manifest, CancellationToken cancellationToken)
    {
        if (!manifest.TryGet(RecordKeys.Header, out var listed))
        {
            throw new VaultIntegrityException("The vault's manifest in the database does not list its header: the database was altered.");
        }

        var stored = await _core.Store.ReadAsync(RecordIds.Header, cancellationToken).ConfigureAwait(false);
        var raw = stored is not null && string.Equals(stored.Key, RecordKeys.Header, StringComparison.Ordinal) ? stored.Value : null;
        return VaultHeader.Decode(VerifiedRecord.Check(RecordKeys.Header, raw, listed.Hash));
    }

    /// <summary>Unwraps the key-encryption keys another instance added (checked against the manifest once it is loaded).</summary>
    private async ValueTask UnwrapNewKeysAsync(IReadOnlyList<StoredRecord> records, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            var kek = RecordIds.Fixed(record.Key) == record.Id ? KekRecord.TryDecodeUnverified(record.Key, record.Value) : null;
            if (kek is null)
            {
                throw new VaultIntegrityException($"The vault's key-encryption key record '{record.Key}' is malformed: the database was altered.");
            }

            if (!_core.Ring.Get(kek.Version).IsEmpty)
            {
                continue;
            }

            byte[] unwrapped;
            try
            {
                unwrapped = await _core.Root.UnwrapKeyAsync(kek.WrappedKey, cancellationToken).ConfigureAwait(false);
            }
            catch (CryptographicException ex)
            {
                throw new VaultIntegrityException($"The vault's key-encryption key record '{record.Key}' does not unwrap under the vault's root: the record was altered, or the root was rotated by another instance.", ex);
            }

            try
            {
                if (unwrapped.Length != KeyMaterial.KeySize)
                {
                    throw new VaultIntegrityException($"The vault's key-encryption key version {kek.Version} has the wrong length: the record was altered.");
                }

                _core.Ring.Add(kek.Version, KeyMaterial.PinnedCopy(unwrapped));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(unwrapped);
            }
        }
    }
}
