using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// One unit of work: the reads a change depends on and the records it writes, committed as one durable transaction by
/// <see cref="VaultWriter"/>, with the hooks that run once it is durable (events, destruction of purged token keys).
/// Reads see the transaction's own writes, so a multi-step operation (a certificate with its key and secret, a delete
/// that also drops a pending operation) is one commit.
/// </summary>
internal sealed class VaultTransaction
{
    private readonly VaultCore? _core;
    private readonly Manifest _manifest;
    private readonly VaultHeader _base;
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObjectIndex?> _objects = new(StringComparer.Ordinal);
    private readonly List<Action> _committed = [];
    private readonly List<Action> _after = [];
    private readonly Dictionary<string, object> _items = new(StringComparer.Ordinal);
    private long _generation;
    private VaultHeader? _header;
    private int _created;
    private int _changes;

    /// <summary>A transaction on an open vault; made under its write lock, so that it commits the next generation.</summary>
    public VaultTransaction(VaultCore core)
    {
        _core = core;
        _manifest = core.Manifest;
        _base = core.Header;
        _generation = _manifest.Generation + 1;
    }

    /// <summary>A transaction that only writes (a vault's first records, before there is a vault to read from).</summary>
    public VaultTransaction(Manifest manifest, VaultHeader header)
    {
        _manifest = manifest;
        _base = header;
        _generation = _manifest.Generation + 1;
    }

    /// <summary>The generation this transaction commits (the next one, unless <see cref="SkipToGeneration"/> moved it).</summary>
    public long Generation => _generation;

    /// <summary>
    /// Makes this commit jump to <paramref name="generation"/>, past the generations another history of the same vault
    /// reached (a restore that took over an anchor: the files of the vault it replaced must stay older than the anchor).
    /// Only before the transaction writes anything (record ids are drawn from the generation); not on a shared store,
    /// whose log of commits is contiguous.
    /// </summary>
    public void SkipToGeneration(long generation)
    {
        if (_pending.Count > 0 || _created > 0 || generation <= _manifest.Generation + 1)
        {
            throw new InvalidOperationException($"A commit skips ahead only before it writes anything, and only past generation {_manifest.Generation + 1}.");
        }

        _generation = generation;
    }

    /// <summary>The header as this transaction leaves it.</summary>
    public VaultHeader Header => _header ?? _base;

    public bool HasChanges => _pending.Count > 0;

    /// <summary>Whether this transaction writes the header.</summary>
    public bool ChangesHeader => _header is not null;

    /// <summary>
    /// The metadata keys that authenticate this commit and every later one, when this commit replaces them (a root
    /// rotation: the new root's binding); null keeps the vault's.
    /// </summary>
    public Integrity.MetadataKeys? ReplacementKeys { get; set; }

    /// <summary>The anchor the vault has under the new root, with <see cref="ReplacementKeys"/> (it may be the same one).</summary>
    public Integrity.IRollbackAnchor? ReplacementAnchor { get; set; }

    /// <summary>
    /// When set, the commit rewrites every manifest bucket (their MACs change key: a key-encryption key retired, a
    /// new root), so that none is left authenticated by a key the vault no longer holds.
    /// </summary>
    public bool RewriteManifest { get; set; }

    /// <summary>When set, removed and replaced records must be gone from the files when the commit returns (purge).</summary>
    public bool Erase { get; set; }

    /// <summary>The current time in Unix seconds (Azure's attribute resolution).</summary>
    public long Now => Core.Now();

    internal IReadOnlyDictionary<string, Pending> Changes => _pending;

    private VaultCore Core => _core ?? throw new InvalidOperationException("This transaction only writes.");

    /// <summary>The manifest's entry for an object as this transaction sees it, or null.</summary>
    public ObjectIndex? Index(ObjectType type, string name)
    {
        var key = RecordKeys.Object(type, ObjectRules.Normalize(name));
        if (_objects.TryGetValue(key, out var staged))
        {
            return staged;
        }

        return _manifest.TryGetObject(type, name, out var index) ? index : null;
    }

    /// <summary>An object's record in any state (active or deleted), or null.</summary>
    public async ValueTask<ObjectRecord?> FindObjectAsync(ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        var index = Index(type, name);
        return index is null ? null : await ObjectAsync(index, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<ObjectRecord> ObjectAsync(ObjectIndex index, CancellationToken cancellationToken = default) =>
        _pending.TryGetValue(index.Key, out var pending) && pending.Decoded is ObjectRecord obj
            ? ValueTask.FromResult(obj)
            : Core.Reader.ObjectAsync(index, cancellationToken);

    public ValueTask<StoredVersion> VersionAsync(VersionEntry entry, CancellationToken cancellationToken = default) =>
        _pending.TryGetValue(entry.Key, out var pending) && pending.Decoded is StoredVersion version
            ? ValueTask.FromResult(version)
            : Core.Reader.VersionAsync(entry, cancellationToken);

    public async ValueTask<ObjectVersion> ObjectVersionAsync(ObjectIndex index, VersionEntry? entry = null, CancellationToken cancellationToken = default) =>
        new(await ObjectAsync(index, cancellationToken).ConfigureAwait(false), await VersionAsync(entry ?? index.Current, cancellationToken).ConfigureAwait(false));

    public async ValueTask<IReadOnlyList<StoredVersion>> VersionsAsync(ObjectIndex index, CancellationToken cancellationToken = default)
    {
        var result = new List<StoredVersion>(index.VersionCount);
        foreach (var entry in index.Versions)
        {
            result.Add(await VersionAsync(entry, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    public ValueTask<SettingRecord?> SettingAsync(string name, CancellationToken cancellationToken = default) =>
        _pending.TryGetValue(RecordKeys.Setting(name), out var pending)
            ? ValueTask.FromResult(pending.Decoded as SettingRecord)
            : Core.Reader.SettingAsync(name, cancellationToken);

    /// <summary>Creates or replaces an object record.</summary>
    public void Put(ObjectRecord obj)
    {
        var (hash, id) = Stage(obj.Key, obj.Encode(), obj);
        var index = Index(obj.Type, obj.Name);
        _objects[obj.Key] = index?.WithObject(hash, id) ?? ObjectIndex.Create(obj.Type, obj.NormalizedName, hash, id, []);
    }

    /// <summary>Creates or replaces a version of <paramref name="owner"/> (whose record this transaction or an earlier one wrote).</summary>
    public void Put(ObjectRecord owner, StoredVersion version)
    {
        var index = Index(owner.Type, owner.Name) ?? throw new InvalidOperationException($"A version of '{owner.Key}' is written before its object.");
        var (hash, id) = Stage(version.Key, version.Encode(), version, tag: version.Sequence);
        _objects[owner.Key] = index.WithVersion(new VersionEntry(version.Key, hash, version.Sequence, id));
    }

    /// <summary>Removes an object with every version.</summary>
    public void Remove(ObjectIndex index)
    {
        foreach (var version in index.Versions)
        {
            StageDelete(version.Key);
        }

        StageDelete(index.Key);
        _objects[index.Key] = null;
    }

    public void Put(SettingRecord setting) => _ = Stage(setting.Key, setting.Encode(), setting);

    public void DeleteSetting(string name)
    {
        var key = RecordKeys.Setting(name);
        if (_manifest.TryGet(key, out Listed _) || _pending.ContainsKey(key))
        {
            StageDelete(key);
        }
    }

    public void Put(VaultHeader header)
    {
        _header = header;
        Stage(RecordKeys.Header, header.Encode(), header);
    }

    /// <summary>Adds a key-encryption key record, which must be new (the store, too, refuses to replace one).</summary>
    public void Insert(KekRecord kek) => _ = Stage(kek.Key, kek.Encode(), kek, insertOnly: true);

    public void DeleteKek(int version) => StageDelete(RecordKeys.Kek(version));

    /// <summary>Replaces a key-encryption key's wrap (a root rotation re-wraps every version; nothing else may).</summary>
    public void Rewrap(KekRecord kek) => _ = Stage(kek.Key, kek.Encode(), kek);

    /// <summary>
    /// In-memory state that mirrors a record this transaction changes (the access control state), as the transaction
    /// sees it: what an earlier unit of work in the same commit set, else <paramref name="committed"/>. A unit that
    /// derives new state from old must read it here, not from the committed copy, or it would undo the earlier unit's
    /// change (they commit together).
    /// </summary>
    public T Item<T>(string key, T committed) where T : class => _items.TryGetValue(key, out var value) ? (T)value : committed;

    /// <summary>Sets the state <see cref="Item"/> returns to the units of work after this one.</summary>
    public void SetItem(string key, object value) => _items[key] = value;

    /// <summary>Runs under the write lock right after the commit is durable and visible (in-memory state that mirrors it).</summary>
    public void OnCommitted(Action action) => _committed.Add(action);

    /// <summary>Runs after the commit, outside the write lock (events, token objects of purged keys).</summary>
    public void AfterCommit(Action action) => _after.Add(action);

    internal void RunCommitted()
    {
        foreach (var action in _committed)
        {
            action();
        }
    }

    /// <summary>Runs the after-commit hooks registered from <paramref name="from"/> (a <see cref="Savepoint"/>'s) up to <paramref name="to"/>.</summary>
    internal void RunAfterCommit(int from = 0, int to = int.MaxValue)
    {
        for (var i = from; i < Math.Min(to, _after.Count); i++)
        {
            _after[i]();
        }
    }

    /// <summary>How many after-commit hooks are registered (where the next unit of work's start).</summary>
    internal int AfterCount => _after.Count;

    /// <summary>
    /// Marks where one unit of work starts, when several share this transaction (a group commit): a unit that fails is
    /// undone back to its mark (<see cref="Rollback"/>), leaving the others' changes as they were.
    /// </summary>
    internal Savepoint Mark() => _changes == 0 && _committed.Count == 0 && _after.Count == 0 && _items.Count == 0
        ? new Savepoint(null, null, null, _header, 0, 0, ReplacementKeys, ReplacementAnchor, RewriteManifest, Erase, 0)
        : new Savepoint(new Dictionary<string, Pending>(_pending, StringComparer.Ordinal), new Dictionary<string, ObjectIndex?>(_objects, StringComparer.Ordinal), new Dictionary<string, object>(_items, StringComparer.Ordinal), _header, _committed.Count, _after.Count, ReplacementKeys, ReplacementAnchor, RewriteManifest, Erase, _changes);

    /// <summary>Whether anything was staged since <paramref name="mark"/>.</summary>
    internal bool ChangedSince(Savepoint mark) => _changes != mark.Changes;

    /// <summary>Undoes everything staged since <paramref name="mark"/>: records, header, hooks and flags.</summary>
    internal void Rollback(Savepoint mark)
    {
        Restore(_pending, mark.Pending);
        Restore(_objects, mark.Objects);
        Restore(_items, mark.Items);
        _header = mark.Header;
        _committed.RemoveRange(mark.Committed, _committed.Count - mark.Committed);
        _after.RemoveRange(mark.After, _after.Count - mark.After);
        (ReplacementKeys, ReplacementAnchor, RewriteManifest, Erase) = (mark.ReplacementKeys, mark.ReplacementAnchor, mark.RewriteManifest, mark.Erase);
        _changes = mark.Changes;

        static void Restore<TValue>(Dictionary<string, TValue> into, Dictionary<string, TValue>? from)
        {
            into.Clear();
            if (from is not null)
            {
                foreach (var (key, value) in from)
                {
                    into[key] = value;
                }
            }
        }
    }

    private (RecordHash Hash, long Id) Stage(string key, byte[] bytes, object decoded, long tag = 0, bool insertOnly = false)
    {
        var hash = RecordHash.Of(key, bytes);
        var (id, existed) = Locate(key);
        if (insertOnly && existed)
        {
            throw new InvalidOperationException($"The record '{key}' exists already and is never replaced.");
        }

        _pending[key] = new Pending(bytes, hash, tag, decoded, id, existed);
        _changes++;
        return (hash, id);
    }

    private void StageDelete(string key)
    {
        var (id, existed) = Locate(key);
        _pending[key] = new Pending(null, null, 0, null, id, existed);
        _changes++;
    }

    /// <summary>
    /// Where a record is kept: a record the vault holds keeps its id; a new one gets its fixed id (the header, a
    /// key-encryption key) or the next id of this commit's generation.
    /// </summary>
    private (long Id, bool Existed) Locate(string key)
    {
        if (_pending.TryGetValue(key, out var pending))
        {
            return (pending.Id, pending.Existed);
        }

        if (_manifest.TryGetEntry(key, out var listed))
        {
            return (listed.Id, true);
        }

        return (RecordIds.Fixed(key) ?? RecordIds.Record(_generation, _created++), false);
    }

    /// <summary>One record this transaction writes (<see cref="Bytes"/> set) or removes.</summary>
    /// <param name="Bytes">The record's new stored form, or null when it is removed.</param>
    /// <param name="Hash">The hash the manifest will list.</param>
    /// <param name="Tag">A version's sequence number; 0 for other records.</param>
    /// <param name="Decoded">The record itself, for the transaction's own reads and the cache.</param>
    /// <param name="Id">Where the store keeps it.</param>
    /// <param name="Existed">Whether the vault held it before this transaction (it is replaced, not created).</param>
    internal sealed record Pending(byte[]? Bytes, RecordHash? Hash, long Tag, object? Decoded, long Id, bool Existed);

    /// <summary>The state of a transaction where one unit of work started (see <see cref="Mark"/>).</summary>
    internal sealed record Savepoint(
        Dictionary<string, Pending>? Pending,
        Dictionary<string, ObjectIndex?>? Objects,
        Dictionary<string, object>? Items,
        VaultHeader? Header,
        int Committed,
        int After,
        Integrity.MetadataKeys? ReplacementKeys,
        Integrity.IRollbackAnchor? ReplacementAnchor,
        bool RewriteManifest,
        bool Erase,
        int Changes);
}
