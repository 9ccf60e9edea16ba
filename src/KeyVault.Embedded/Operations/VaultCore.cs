using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Storage;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The state one open vault shares between its stores: storage behind the verified reader (<see cref="Reader"/>) and
/// the single writer (<see cref="Writer"/>), the authenticated manifest, the key hierarchy, the clock, the record cache.
/// Reads go through the reader; changes go through the writer, as one transaction each.
/// </summary>
internal sealed class VaultCore : IDisposable
{
    private volatile bool _disposed;
    private volatile bool _faulted;
    private VaultException? _faultReason;
    private VaultHeader _header;

    public VaultCore(IRecordStore store, Manifest manifest, VaultHeader header, KeyEncryptionKeyRing ring, IRootKey root, MetadataKeys keys, IRollbackAnchor? anchor, Func<IRootKey, IRollbackAnchor?> anchorFor, TimeProvider time, int cacheCapacity, VaultTelemetry telemetry, Uri? vaultUri = null)
    {
        Store = store;
        Manifest = manifest;
        _header = header;
        Ring = ring;
        Root = root;
        Keys = keys;
        Time = time;
        Sealer = new RecordSealer(header.VaultId, ring);
        Cache = new RecordCache(cacheCapacity);
        Writer = new VaultWriter(this);
        Reader = new RecordReader(manifest, store, Cache, () => _faulted, Writer.SettleAsync);
        Uri = vaultUri ?? new Uri($"embeddedvault://{header.VaultId:N}/");
        Telemetry = telemetry;
        Events = new VaultEvents(telemetry, Uri, time);
        Anchoring = new RollbackAnchoring(anchor, anchorFor, () => Fault(), telemetry);
        if (store is ISharedRecordStore)
        {
            Sync = new VaultSync(this);
        }
    }

    /// <summary>
    /// Starts following other instances' commits (a shared store), once the open has read everything it applies:
    /// a catch-up in the background before then could be overwritten by the older state the open read.
    /// </summary>
    public void StartWatching()
    {
        if (Sync is not null && Store is ISharedRecordStore shared)
        {
            Sync.Watch(shared);
        }
    }

    public IRecordStore Store { get; }

    /// <summary>Keeps this instance level with the others, when the store is shared (a database); null for a file.</summary>
    public VaultSync? Sync { get; }

    /// <summary>The authenticated list of every record.</summary>
    public Manifest Manifest { get; }

    /// <summary>Verified reads.</summary>
    public RecordReader Reader { get; }

    /// <summary>The one path for changes.</summary>
    public VaultWriter Writer { get; }

    /// <summary>The header as last committed; replaced by the writer when vault settings change.</summary>
    public VaultHeader Header
    {
        get => Volatile.Read(ref _header);
        set => Volatile.Write(ref _header, value);
    }

    public KeyEncryptionKeyRing Ring { get; }

    /// <summary>The opened root; replaced when the root is rotated.</summary>
    public IRootKey Root { get; set; }

    /// <summary>The metadata keys derived from the root; replaced when the root is rotated.</summary>
    public MetadataKeys Keys { get; set; }

    /// <summary>Who may do what: checked by the operation pipeline before every operation.</summary>
    public Access.AccessControl Access { get; init; } = new(null);

    /// <summary>The audit trail, when auditing is on (set at open).</summary>
    public Audit.AuditTrail? Audit { get; set; }

    /// <summary>The rollback anchor and its rule (advanced after every commit; a failure faults the vault).</summary>
    public RollbackAnchoring Anchoring { get; }

    public TimeProvider Time { get; }

    public RecordSealer Sealer { get; }

    /// <summary>Key material loaded by cryptography clients: retired (and zeroed) when the vault closes.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Keys.Cryptography.LeasedKey, byte> KeyLeases { get; } = new();

    /// <summary>Counts the vault's commits; cryptography clients compare it to know when to look again.</summary>
    public long Generation => Manifest.Generation;

    public RecordCache Cache { get; }

    /// <summary>The backups in progress: each commit keeps for them what it replaces.</summary>
    public Backup.StoreSnapshots Snapshots { get; } = new();

    /// <summary>The vault's identifier, the base of every object id (<c>embeddedvault://{vault id}/</c>).</summary>
    public Uri Uri { get; }

    public bool IsDisposed => _disposed;

    /// <summary>Whether a write failed in a way that leaves memory and storage possibly apart: the vault refuses writes until reopened.</summary>
    public bool IsFaulted => _faulted;

    /// <summary>Logs, metrics and traces.</summary>
    public VaultTelemetry Telemetry { get; }

    /// <summary>The event stream; raise events after the change is applied and outside the write lock.</summary>
    public VaultEvents Events { get; }

    /// <summary>The current time in Unix seconds, the resolution of Azure Key Vault's attributes.</summary>
    public long Now() => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>
    /// Refuses writes from now on, for <paramref name="reason"/>. The cache is dropped (storage may hold a commit the
    /// vault never acknowledged) unless <paramref name="keepCache"/>: a store found behind the vault's view (rolled back)
    /// holds less, and what the cache verified stays true.
    /// </summary>
    public void Fault(VaultException? reason = null, bool keepCache = false)
    {
        _faultReason ??= reason;
        _faulted = true;
        if (!keepCache)
        {
            Cache.Clear();
        }
    }

    /// <summary>Why writes are refused, once the vault is faulted.</summary>
    public VaultException FaultReason => _faultReason ?? VaultErrors.StorageFailure("an earlier write did not complete, so the vault refuses writes until it is reopened", null);

    /// <summary>Records the committed generation and root in the anchor (see <see cref="RollbackAnchoring"/>).</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c>: the anchor could not be written.</exception>
    public void AdvanceAnchor() => Anchoring.Advance(Header, Manifest, Keys);

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(EmbeddedVault));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // New writers see the flag once they hold the lock; the one in flight finishes its commit first.
        _disposed = true;
        Sync?.Dispose();
        Writer.Drain();
        Cache.Clear();
        foreach (var lease in KeyLeases.Keys)
        {
            lease.Retire();
        }

        KeyLeases.Clear();
        try
        {
            Store.Dispose();
        }
        finally
        {
            // Keys are zeroed even when closing the store fails.
            Ring.Dispose();
            Root.Dispose();
            Keys.Dispose();
            Anchoring.Dispose();
            Audit?.Dispose();
            Writer.Dispose();
            Telemetry.Closed(Header.VaultId);
        }

        // Observers hear OnCompleted outside the lock, as they hear every event.
        Events.Complete();
    }
}
