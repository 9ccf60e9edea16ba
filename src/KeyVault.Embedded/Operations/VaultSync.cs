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
/// Runs under the writer's view lock (one catch-up at a time, never between a commit and its hooks) and reads
/// everything from one snapshot of the store, so that what it checks is of one generation, without waiting for any
/// instance's write lock. Everything is checked before anything is swapped in: a failure leaves the old view whole (a
/// view that is only behind, never wrong); a refusal faults the vault.
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

        if (store.LatestHeard > _core.Manifest.Generation)
        {
            Request(); // heard between the open's reads and now, with no handler yet
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

    /// <summary>The generation this instance is committing now (0 when none): its own notification is not news.</summary>
    public long Committing
    {
        get => Volatile.Read(ref _committing);
        set => Volatile.Write(ref _committing, value);
    }

    private long _committing;

    private void OnAdvanced(long generation)
    {
        if (generation != _core.Manifest.Generation && generation != Committing)
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
    public bool IsAt(StoreHead head) => head.Is(_core.Manifest.Generation, _core.Manifest.Root);

    /// <summary>
    /// Brings the view to the store's head (at least <paramref name="head"/>), or refuses a store that is behind it,
    /// holds another history at its generation, or a head that does not descend from the view's.
    /// </summary>
    /// <exception cref="VaultException"><c>RollbackDetected</c> (the vault is then faulted), <c>RootKeyMismatch</c>, or a failure to read.</exception>
    /// <exception cref="VaultIntegrityException">What the store holds at that head fails its checks.</exception>
    public async ValueTask CatchUpAsync(ISharedRecordStore store, StoreHead head, CancellationToken cancellationToken)
    {
        if (IsAt(head))
        {
            return;
        }

        // The head given may be older than this instance's own latest commit (read before it was applied): what is
        // decided is decided on a snapshot taken now, under the view lock, when no commit of this instance is half-way.
        // Everything is read from it and checked before any of it becomes the view: a failure (a lost connection, a
        // cancelled call, a bad record) leaves the old view whole.
        var ours = _core.Manifest.Generation;
        await using var view = await store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
        if (view.Head.Generation < ours)
        {
            throw Refuse($"the database is at generation {view.Head.Generation}, and this instance has seen generation {ours}: it was restored to an older copy, or a replica missing the latest commits was promoted");
        }

        if (view.Head.Generation == ours)
        {
            if (!view.Head.Is(ours, _core.Manifest.Root))
            {
                throw Refuse($"the database is at generation {ours}, as this instance is, but holds other records than this instance committed or read at that generation (it was restored from another copy, or a replica missing the latest commits was promoted and then written to)");
            }

            return;
        }

        var rawHeader = await CheckRootAsync(view, cancellationToken).ConfigureAwait(false);
        await CheckDescentAsync(view, cancellationToken).ConfigureAwait(false);
        var loaded = await LoadAsync(view, rawHeader, cancellationToken).ConfigureAwait(false);
        Apply(loaded);
        CatchUps++;
        _core.Telemetry.CaughtUp(_core.Header.VaultId, ours, view.Head.Generation);
        CaughtUp?.Invoke(view.Head.Generation);
    }

    private VaultException Refuse(string detail)
    {
        var refusal = VaultErrors.DatabaseRolledBack(detail);
        _core.Fault(refusal, keepCache: true);
        _core.Telemetry.RollbackRefused(_core.Header.VaultId, detail);
        return refusal;
    }

    /// <summary>
    /// Checks that the snapshot's head descends from the view's: every commit between them is in the store's commit
    /// log, each MAC'd under the vault's root, each built on the root of the one before, from the view's root to the
    /// head's. A longer history that forked from an older state (a dump restored, then written to) fails this.
    /// </summary>
    private async ValueTask CheckDescentAsync(IStoreSnapshot view, CancellationToken cancellationToken)
    {
        var ours = _core.Manifest.Generation;
        var links = await view.ReadChainAsync(ours, view.Head.Generation, cancellationToken).ConfigureAwait(false);
        // The log keeps the latest commits: one missing at its end is a head moved without a commit; at its start,
        // commits this instance was away for longer than the log keeps.
        if (links.Count == 0 || links[^1].Generation != view.Head.Generation)
        {
            throw new VaultIntegrityException($"The database's head is at generation {view.Head.Generation}, and its log of commits does not end there: the head was moved without a commit, so the database was altered.");
        }

        if (links[0].Generation != ours + 1)
        {
            throw Refuse($"the database moved from generation {ours} to {view.Head.Generation}, and its log of commits no longer holds all of them (this instance was away for longer than the log keeps, or the log was cut), so that it descends from what this instance saw cannot be checked");
        }

        var previous = ours == 0 ? [] : _core.Manifest.Root.ToArray();
        for (var i = 0; i < links.Count; i++)
        {
            var link = links[i];
            if (link.Generation != ours + 1 + i
                || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(link.Mac, _core.Keys.ChainMac(link.Generation, link.Previous, link.Root)))
            {
                throw new VaultIntegrityException($"The database's log of commits fails its authentication at generation {ours + 1 + i}: the database was altered.");
            }

            if (!link.Previous.AsSpan().SequenceEqual(previous))
            {
                throw Refuse($"the database's commit at generation {link.Generation} follows another state than this instance saw at generation {link.Generation - 1}: its history forked (an older copy was restored and written to)");
            }

            previous = link.Root;
        }

        if (!previous.AsSpan().SequenceEqual(view.Head.Root.Span))
        {
            throw new VaultIntegrityException($"The database's head at generation {view.Head.Generation} is not the commit its log ends with: the database was altered.");
        }
    }

    /// <summary>What a catch-up takes on, read and checked from one snapshot; nothing of it is the vault's yet.</summary>
    /// <remarks>
    /// <see cref="Staged"/> set: the manifest was caught up from the buckets written since the view's generation, and
    /// <see cref="Manifest"/> shows only its records other than objects and versions (what the catch-up read through).
    /// </remarks>
    private sealed record Loaded(Manifest Manifest, VaultHeader Header, List<int> NewKeys, Access.AccessState Access, Audit.AuditChain.ChainEnd? AuditEnd)
    {
        public StagedManifest? Staged { get; init; }
    }

    /// <summary>
    /// How often, at most, a catch-up that reads only the buckets written since also compares the SHA-256 of every bucket
    /// row, which the database computes, with the documents the instance holds (so that a row it does not read, edited
    /// in the database, is found within this time of the next catch-up): the database hashes every bucket row for it.
    /// </summary>
    internal static readonly TimeSpan RowCheckInterval = TimeSpan.FromSeconds(1);

    private DateTimeOffset _rowsChecked = DateTimeOffset.MinValue;

    /// <summary>How many catch-ups read only the buckets written since the view's generation (tests, telemetry).</summary>
    public long PartialCatchUps { get; private set; }

    /// <summary>
    /// The header first, unverified, for one question only: is the vault still under this instance's root? (Another
    /// instance may have rotated it; then nothing else could be checked.) Returns the header's stored bytes.
    /// </summary>
    private async ValueTask<byte[]> CheckRootAsync(IStoreSnapshot view, CancellationToken cancellationToken)
    {
        var rawHeader = await view.ReadAsync(RecordIds.Header, cancellationToken).ConfigureAwait(false);
        var claimed = rawHeader is not null && string.Equals(rawHeader.Key, RecordKeys.Header, StringComparison.Ordinal) ? VaultHeader.DecodeForBootstrap(rawHeader.Value) : null;
        if (claimed is null || claimed.VaultId != _core.Header.VaultId || !string.Equals(claimed.StoreName, _core.Header.StoreName, StringComparison.Ordinal))
        {
            throw new VaultIntegrityException("The database no longer holds this vault's header where it belongs: the database was altered.");
        }

        if (!_core.Keys.MatchesRoot(claimed.RootCheck) || !string.Equals(claimed.Root.Kind, _core.Header.Root.Kind, StringComparison.Ordinal))
        {
            // Another instance moved the vault to a new root (or the header was edited: then this refusal is all it gets).
            var refusal = VaultErrors.RootKeyMismatch("another instance moved the vault to a new root; reopen this instance with the new root");
            _core.Fault(refusal, keepCache: true);
            throw refusal;
        }

        return rawHeader!.Value;
    }

    private async ValueTask<Loaded> LoadAsync(IStoreSnapshot view, byte[] rawHeader, CancellationToken cancellationToken)
    {
        var keks = await view.ReadRangeAsync(RecordIds.FirstKek, RecordIds.LastKek, cancellationToken).ConfigureAwait(false);
        var added = await UnwrapNewKeysAsync(keks, cancellationToken).ConfigureAwait(false);
        try
        {
            // First only the buckets written since the view's generation (each carries the generation that wrote it):
            // with the view's own buckets for the rest, they must hash to the head's root, and every bucket row's
            // SHA-256 must be that of the document read now or held. Anything else (a bucket the store left out, an
            // older copy, an edited row) reads and checks every bucket, which names the damage.
            var headRoot = view.Head.Root.Length == RecordHash.Size ? RecordHash.Read(view.Head.Root.Span) : default;
            var since = new byte[sizeof(long)];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(since, _core.Manifest.Generation);
            var written = await view.ReadRangeAboveAsync(RecordIds.FirstBucket, RecordIds.LastBucket, ManifestBucket.GenerationOffset, since, cancellationToken).ConfigureAwait(false);
            var now = _core.Time.GetUtcNow();
            var checkRows = now - _rowsChecked >= RowCheckInterval || now < _rowsChecked;
            var documents = checkRows ? await view.ReadRangeDigestsAsync(RecordIds.FirstBucket, RecordIds.LastBucket, cancellationToken).ConfigureAwait(false) : null;
            Manifest manifest;
            int claimedKek;
            StagedManifest? staged = null;
            if (view.Head.Root.Length == RecordHash.Size && _core.Manifest.CatchUp(written, documents, view.Head.Generation, headRoot, _core.Keys) is { } caught)
            {
                (staged, claimedKek) = caught;
                manifest = _core.Manifest.OthersAt(staged);
            }
            else
            {
                var buckets = await view.ReadRangeAsync(RecordIds.FirstBucket, RecordIds.LastBucket, cancellationToken).ConfigureAwait(false);
                (manifest, claimedKek) = Manifest.Load(buckets, _core.Keys);
                checkRows = true; // every row was read and checked
            }

            if (checkRows)
            {
                _rowsChecked = now;
            }

            if (manifest.Generation != view.Head.Generation || !(view.Head.Root.Length == RecordHash.Size && headRoot.Equals(manifest.Root)))
            {
                throw new VaultIntegrityException($"The database's head (generation {view.Head.Generation}) is not the commit its manifest authenticates (generation {manifest.Generation}): the database was altered.");
            }

            var header = VaultHeader.Decode(VerifiedRecord.Check(RecordKeys.Header, rawHeader, manifest.TryGet(RecordKeys.Header, out var listedHeader) ? listedHeader.Hash : default));
            if (header.CurrentKekVersion != claimedKek || _core.Ring.Get(header.CurrentKekVersion).IsEmpty)
            {
                throw new VaultIntegrityException("The vault's last commit is authenticated by another key-encryption key than its header names: the database was altered.");
            }

            if (!manifest.KeysWithPrefix(RecordKeys.KekPrefix).SequenceEqual(keks.Select(k => k.Key), StringComparer.Ordinal))
            {
                throw new VaultIntegrityException("The vault's key-encryption keys in the database are not the ones its manifest lists: the database was altered.");
            }

            foreach (var kek in keks)
            {
                VerifiedRecord.Check(kek.Key, kek.Value, manifest.TryGet(kek.Key, out var listed) ? listed.Hash : default);
            }

            // Access control and the audit chain's end, read through the new manifest from the same snapshot.
            var reader = new RecordReader(manifest, view, _core.Cache, static () => false, static () => ValueTask.CompletedTask);
            var access = await Access.AccessControl.ReadAsync(new Lifecycle.VaultSettings(reader), cancellationToken).ConfigureAwait(false);
            var auditEnd = _core.Audit is { } audit ? await audit.ReadEndAsync(reader, cancellationToken).ConfigureAwait(false) : (Audit.AuditChain.ChainEnd?)null;
            return new Loaded(manifest, header, added, access, auditEnd) { Staged = staged };
        }
        catch
        {
            // Keys that only this failed catch-up took on go again (a planted or mismatched wrap must not stay).
            foreach (var version in added)
            {
                _core.Ring.Retire(version);
                _core.Keys.Forget(version);
            }

            throw;
        }
    }

    /// <summary>Makes what was loaded the vault's view, all of it at once (nothing here reads or fails).</summary>
    private void Apply(Loaded loaded)
    {
        _core.Ring.SetCurrent(loaded.Header.CurrentKekVersion);
        if (loaded.Staged is { } staged)
        {
            _core.Manifest.Apply(staged, catchUp: true);
            PartialCatchUps++;
        }
        else
        {
            _core.Manifest.ReplaceWith(loaded.Manifest);
        }

        _core.Header = loaded.Header;
        _core.Access.Apply(loaded.Access);
        foreach (var retired in _core.Ring.Versions.Where(v => v != loaded.Header.CurrentKekVersion && !loaded.Manifest.TryGet(RecordKeys.Kek(v), out _)))
        {
            // Another instance retired it: no record is sealed under it any more; this instance lets it go too.
            _core.Ring.Retire(retired);
            _core.Keys.Forget(retired);
        }

        if (loaded.AuditEnd is { } end)
        {
            _core.Audit!.ApplyEnd(end);
        }

        _core.AdvanceAnchor();
    }

    /// <summary>
    /// Unwraps the key-encryption keys another instance added (checked against the manifest once it is loaded; taken
    /// out again if the catch-up fails). Returns the versions added.
    /// </summary>
    private async ValueTask<List<int>> UnwrapNewKeysAsync(IReadOnlyList<StoredRecord> records, CancellationToken cancellationToken)
    {
        var added = new List<int>();
        try
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
                    // Held already: its record is checked against the manifest like every other, with no call to the
                    // root (a token or a remote root is not asked on every catch-up).
                    continue;
                }

                byte[] unwrapped;
                try
                {
                    unwrapped = await _core.Root.UnwrapKeyAsync(kek.WrappedKey, cancellationToken).ConfigureAwait(false);
                }
                catch (CryptographicException ex)
                {
                    throw new VaultIntegrityException($"The vault's key-encryption key record '{record.Key}' does not unwrap under the vault's root: the record was altered.", ex);
                }

                try
                {
                    if (unwrapped.Length != KeyMaterial.KeySize)
                    {
                        throw new VaultIntegrityException($"The vault's key-encryption key version {kek.Version} has the wrong length: the record was altered.");
                    }

                    _core.Ring.Add(kek.Version, KeyMaterial.PinnedCopy(unwrapped));
                    added.Add(kek.Version);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(unwrapped);
                }
            }
        }
        catch
        {
            foreach (var version in added)
            {
                _core.Ring.Retire(version);
            }

            throw;
        }

        return added;
    }
}
