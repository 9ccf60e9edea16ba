namespace KeyVault.Embedded.Hosting;

/// <summary>
/// One open vault per file in this process, shared by whoever integrates with the host: the configuration provider
/// (which runs before the host's services exist) and <c>AddEmbeddedVault</c>. A vault file has one owner at a time,
/// so both must use the same <see cref="EmbeddedVault"/>. The first to acquire opens it with its options; every later
/// one must name the same root (proven by unwrapping the vault's key-encryption key) and clock, and may turn purge
/// protection on. The last to release closes it; disposing the vault object itself does nothing.
/// </summary>
internal static class SharedVaults
{
    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal);
    private static readonly Lock Sync = new();

    public static async Task<Lease> AcquireAsync(EmbeddedVaultOptions options, CancellationToken cancellationToken)
    {
        var path = options.StoreProvider?.Location ?? System.IO.Path.GetFullPath(options.Path);
        while (true)
        {
            Entry entry;
            Task? closing = null;
            var opener = false;
            lock (Sync)
            {
                if (Entries.TryGetValue(path, out entry!) && entry.Closing is { } pending)
                {
                    closing = pending; // the last user is closing it: wait, then open it again
                }
                else
                {
                    if (entry is null)
                    {
                        entry = new Entry(path, options.RootKey, OpenAsync(options)) { Anchor = (FullAnchorPath(options), options.DropRollbackAnchor) };
                        Entries.Add(path, entry);
                        opener = true;
                    }

                    entry.References++;
                }
            }

            if (closing is not null)
            {
                await closing.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var vault = await entry.Opening.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (!opener)
                {
                    await JoinAsync(vault, entry, options, cancellationToken).ConfigureAwait(false);
                }

                vault.Core.Telemetry.Attach(options.LoggerFactory, options.MeterFactory);
                return new Lease(entry, vault);
            }
            catch
            {
                await ReleaseAsync(entry).ConfigureAwait(false);
                throw;
            }
        }
    }

    private static async Task<EmbeddedVault> OpenAsync(EmbeddedVaultOptions options)
    {
        var vault = await EmbeddedVault.OpenAsync(options, CancellationToken.None).ConfigureAwait(false);
        vault.IsShared = true;
        return vault;
    }

    /// <summary>A later user's options must describe the vault that is open, or it gets the error an open would give.</summary>
    private static async Task JoinAsync(EmbeddedVault vault, Entry entry, EmbeddedVaultOptions options, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(options.TimeProvider, vault.Core.Time))
        {
            throw VaultErrors.BadParameter(
                $"The vault '{entry.Path}' is already open in this process on another TimeProvider: give the configuration source and AddEmbeddedVault the same clock.");
        }

        if (entry.Anchor != (FullAnchorPath(options), options.DropRollbackAnchor))
        {
            // Not silently the first user's: an anchor given here and not there would protect nothing.
            throw VaultErrors.BadParameter(
                $"The vault '{entry.Path}' is already open in this process with other rollback anchor options (AnchorPath, DropRollbackAnchor): give the configuration source and AddEmbeddedVault the same ones.");
        }

        await vault.VerifyRootAsync(options, entry.OpenedWith, cancellationToken).ConfigureAwait(false);
        if (options.CallerAccessor is { } accessor)
        {
            vault.Core.Access.UseAccessor(accessor);
        }
        if (options.EnablePurgeProtection && !vault.Properties.PurgeProtectionEnabled)
        {
            await vault.EnablePurgeProtectionAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? FullAnchorPath(EmbeddedVaultOptions options) =>
        string.IsNullOrWhiteSpace(options.AnchorPath) ? null : Path.GetFullPath(options.AnchorPath);

    private static Task ReleaseAsync(Entry entry)
    {
        lock (Sync)
        {
            if (--entry.References > 0)
            {
                // An open that failed is forgotten at once, so the next acquire tries again rather than see this failure.
                if (entry.Opening.IsFaulted || entry.Opening.IsCanceled)
                {
                    Forget(entry);
                }

                return Task.CompletedTask;
            }

            // The entry stays, marked closing, until the file is released: an acquire meanwhile waits, then reopens.
            entry.Closing = CloseAsync(entry);
            return entry.Closing;
        }
    }

    private static async Task CloseAsync(Entry entry)
    {
        try
        {
            var vault = await entry.Opening.ConfigureAwait(false);
            vault.Close();
        }
        catch (Exception ex) when (entry.Opening.IsFaulted || entry.Opening.IsCanceled)
        {
            _ = ex; // the open failed: nothing to close, and whoever waited for it saw why
        }
        finally
        {
            lock (Sync)
            {
                Forget(entry);
            }
        }
    }

    private static void Forget(Entry entry)
    {
        if (Entries.TryGetValue(entry.Path, out var current) && ReferenceEquals(current, entry))
        {
            Entries.Remove(entry.Path);
        }
    }

    internal sealed class Entry(string path, IRootKeyProvider? openedWith, Task<EmbeddedVault> opening)
    {
        public string Path { get; } = path;

        /// <summary>The root object the vault was opened with (null when it came from settings).</summary>
        public IRootKeyProvider? OpenedWith { get; } = openedWith;

        public Task<EmbeddedVault> Opening { get; } = opening;

        /// <summary>The rollback anchor options it was opened with: a later user must give the same.</summary>
        public (string? Path, bool Drop) Anchor { get; init; }

        public int References { get; set; }

        public Task? Closing { get; set; }
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

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? new ValueTask(ReleaseAsync(_entry)) : ValueTask.CompletedTask;
    }
}
