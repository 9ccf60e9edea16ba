using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// The state one open vault shares between its stores: storage, the key hierarchy, the sealer, the clock, the
/// record cache and the single write lock. Every change to storage (and to the cache that mirrors it) happens
/// under <see cref="Sync"/>, as one batch.
/// </summary>
internal sealed class VaultCore : IDisposable
{
    private volatile bool _disposed;
    private volatile bool _faulted;
    private long _generation;

    public VaultCore(IRecordStore store, VaultHeader header, KeyEncryptionKeyRing ring, IRootKey root, MetadataAuthenticator authenticator, TimeProvider time, int cacheCapacity, VaultTelemetry telemetry)
    {
        Store = store;
        Header = header;
        Ring = ring;
        Root = root;
        Authenticator = authenticator;
        Time = time;
        Sealer = new RecordSealer(header.VaultId, ring);
        Cache = new RecordCache(cacheCapacity);
        Uri = new Uri($"embeddedvault://{header.VaultId:N}/");
        Telemetry = telemetry;
        Events = new VaultEvents(telemetry, Uri, time);
    }

    /// <summary>Serialises storage access and every change to the vault.</summary>
    public Lock Sync { get; } = new();

    public IRecordStore Store { get; }

    /// <summary>The header as last written; replaced (under <see cref="Sync"/>) when vault settings change.</summary>
    public VaultHeader Header { get; set; }

    public KeyEncryptionKeyRing Ring { get; }

    /// <summary>The opened root; replaced when the root is rotated.</summary>
    public IRootKey Root { get; set; }

    public TimeProvider Time { get; }

    public RecordSealer Sealer { get; }

    /// <summary>Authenticates the header and object records.</summary>
    public MetadataAuthenticator Authenticator { get; }

    /// <summary>Key material loaded by cryptography clients: retired (and zeroed) when the vault closes.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Keys.Cryptography.LeasedKey, byte> KeyLeases { get; } = new();

    /// <summary>Counts the vault's changes; cryptography clients compare it to know when to look again.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public RecordCache Cache { get; }

    /// <summary>The vault's identifier, the base of every object id (<c>embeddedvault://{vault id}/</c>).</summary>
    public Uri Uri { get; }

    public bool IsDisposed => _disposed;

    /// <summary>Whether a write failed in a way that leaves memory and file possibly apart: the vault refuses writes until reopened.</summary>
    public bool IsFaulted => _faulted;

    /// <summary>Logs, metrics and traces.</summary>
    public VaultTelemetry Telemetry { get; }

    /// <summary>The event stream; raise events after the change is applied and outside <see cref="Sync"/>.</summary>
    public VaultEvents Events { get; }

    /// <summary>The current time in Unix seconds, the resolution of Azure Key Vault's attributes.</summary>
    public long Now() => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Applies a batch durably. Call under <see cref="Sync"/>.</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c> when the write fails, or failed before.</exception>
    public void Apply(WriteBatch batch)
    {
        if (_faulted)
        {
            throw VaultErrors.StorageFailure("an earlier write did not complete, so the vault refuses writes until it is reopened", null);
        }

        try
        {
            Store.Apply(batch);
            Interlocked.Increment(ref _generation);
        }
        catch (Exception ex) when (ex is not VaultException)
        {
            // A write that failed may still have committed (an fsync error after the commit): what is in memory (the
            // header, the key ring, the cache) may no longer match the file. Stop writing; a reopen reads the truth.
            _faulted = true;
            Cache.Clear();
            Interlocked.Increment(ref _generation);
            throw VaultErrors.StorageFailure("a write did not complete; the vault refuses writes until it is reopened", ex);
        }
    }

    /// <summary>Writes a changed header (authenticated) with the rest of <paramref name="batch"/>. Call under <see cref="Sync"/>.</summary>
    public void ApplyHeader(VaultHeader header, WriteBatch batch)
    {
        batch.Header = Authenticator.Seal(header);
        Apply(batch);
        Header = batch.Header;
    }

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(EmbeddedVault));

    public void Dispose()
    {
        lock (Sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
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
                Authenticator.Dispose();
                Telemetry.Closed(Header.VaultId);
            }
        }

        // Observers hear OnCompleted outside the lock, as they hear every event.
        Events.Complete();
    }
}
