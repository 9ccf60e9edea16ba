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

    public VaultCore(IRecordStore store, VaultHeader header, KeyEncryptionKeyRing ring, IRootKey root, TimeProvider time, int cacheCapacity)
    {
        Store = store;
        Header = header;
        Ring = ring;
        Root = root;
        Time = time;
        Sealer = new RecordSealer(header.VaultId, ring);
        Cache = new RecordCache(cacheCapacity);
        Uri = new Uri($"embeddedvault://{header.VaultId:N}/");
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

    public RecordCache Cache { get; }

    /// <summary>The vault's identifier, the base of every object id (<c>embeddedvault://{vault id}/</c>).</summary>
    public Uri Uri { get; }

    public bool IsDisposed => _disposed;

    /// <summary>The current time in Unix seconds, the resolution of Azure Key Vault's attributes.</summary>
    public long Now() => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Applies a batch durably. Call under <see cref="Sync"/>.</summary>
    public void Apply(WriteBatch batch)
    {
        try
        {
            Store.Apply(batch);
        }
        catch (Exception ex) when (ex is not VaultException)
        {
            // The store's state is unknown after a failed write: drop the cache so reads go back to storage.
            Cache.Clear();
            throw VaultErrors.StorageFailure("a write did not complete", ex);
        }
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
            Store.Dispose();
            Ring.Dispose();
            Root.Dispose();
        }
    }
}
