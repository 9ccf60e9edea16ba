namespace KeyVault.Embedded.Hosting;

/// <summary>
/// One open vault per file in this process, shared by whoever integrates with the host: the configuration provider
/// (which runs before the host's services exist) and <c>AddEmbeddedVault</c>. A vault file has one owner at a time,
/// so both must use the same <see cref="EmbeddedVault"/>. The first to acquire opens it with its options; the last
/// to release closes it.
/// </summary>
internal static class SharedVaults
{
    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal);
    private static readonly Lock Sync = new();

    public static async Task<Lease> AcquireAsync(EmbeddedVaultOptions options, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.GetFullPath(options.Path);
        Entry entry;
        lock (Sync)
        {
            if (!Entries.TryGetValue(path, out entry!))
            {
                entry = new Entry(path, EmbeddedVault.OpenAsync(options, CancellationToken.None));
                Entries.Add(path, entry);
            }

            entry.References++;
        }

        try
        {
            var vault = await entry.Opening.WaitAsync(cancellationToken).ConfigureAwait(false);
            vault.Core.Telemetry.Attach(options.LoggerFactory, options.MeterFactory);
            return new Lease(entry, vault);
        }
        catch
        {
            await ReleaseAsync(entry).ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask ReleaseAsync(Entry entry)
    {
        lock (Sync)
        {
            if (--entry.References > 0)
            {
                return;
            }

            Entries.Remove(entry.Path);
        }

        // The last user is gone: close the vault. An open that failed has nothing to close (its caller saw the failure).
        try
        {
            var vault = await entry.Opening.ConfigureAwait(false);
            await vault.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (entry.Opening.IsFaulted || entry.Opening.IsCanceled)
        {
            _ = ex;
        }
    }

    internal sealed class Entry(string path, Task<EmbeddedVault> opening)
    {
        public string Path { get; } = path;

        public Task<EmbeddedVault> Opening { get; } = opening;

        public int References { get; set; }
    }

    /// <summary>A share of an open vault; disposing it releases the share.</summary>
    internal sealed class Lease : IAsyncDisposable
    {
        private readonly Entry _entry;
        private int _released;

        public Lease(Entry entry, EmbeddedVault vault)
        {
            _entry = entry;
            Vault = vault;
        }

        public EmbeddedVault Vault { get; }

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? ReleaseAsync(_entry) : ValueTask.CompletedTask;
    }
}
