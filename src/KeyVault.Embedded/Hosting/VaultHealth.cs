using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Hosting;

/// <summary>What a health probe found: each check's failure (null when it passed) and the expiry counts.</summary>
internal sealed record VaultHealth(Exception? RootFailure, Exception? WriteFailure, int NearExpiry, int Expired)
{
    private const string ProbeSetting = "health/probe";
    private static readonly ObjectType[] Watched = [ObjectType.Secret, ObjectType.Key, ObjectType.Certificate];

    /// <summary>
    /// Probes an open vault: the root wraps a random key (a token that is gone fails here), a small durable write
    /// succeeds (the disk is writable and the vault is not refusing writes), and counts what is near expiry or expired.
    /// </summary>
    public static async Task<VaultHealth> ProbeAsync(VaultCore core, ObjectLifecycle lifecycle, TimeSpan nearExpiryWindow, Throttled<Exception?> writes, Throttled<(int Near, int Expired)> expiry, CancellationToken cancellationToken)
    {
        core.ThrowIfDisposed();
        Exception? rootFailure = null;
        var probe = KeyMaterial.NewKey();
        try
        {
            var wrapped = await core.Root.WrapKeyAsync(probe, cancellationToken).ConfigureAwait(false);
            if (wrapped.Length == 0)
            {
                rootFailure = new VaultException(VaultErrorCode.RootKeyUnavailable, 503, "The root key returned nothing when asked to wrap a key.");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            rootFailure = ex;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(probe);
        }

        var writeFailure = await writes.GetAsync(core.Time, async () =>
        {
            try
            {
                await core.Writer.WriteAsync(tx =>
                {
                    VaultSettings.Put(tx, ProbeSetting, core.Now().ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return ValueTask.FromResult(true);
                }, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (ex is VaultException or IOException or UnauthorizedAccessException)
            {
                return ex;
            }
        }).ConfigureAwait(false);

        var (near, expired) = await expiry.GetAsync(core.Time, () => CountExpiryAsync(lifecycle, core.Time, nearExpiryWindow, cancellationToken)).ConfigureAwait(false);
        return new VaultHealth(rootFailure, writeFailure, near, expired);
    }

    /// <summary>Current, enabled, unmanaged secrets, keys and certificates near expiry and expired (a scan of the vault).</summary>
    private static async ValueTask<(int Near, int Expired)> CountExpiryAsync(ObjectLifecycle lifecycle, TimeProvider time, TimeSpan nearExpiryWindow, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        int near = 0, expired = 0;
        foreach (var type in Watched)
        {
            foreach (var current in await lifecycle.ListCurrentAsync(type, cancellationToken).ConfigureAwait(false))
            {
                if (current.Object.ManagedBy is null && current.Attributes.Enabled && RecordAttributes.FromUnix(current.Attributes.ExpiresOn) is { } expiresOn)
                {
                    if (expiresOn <= now)
                    {
                        expired++;
                    }
                    else if (expiresOn - now <= nearExpiryWindow)
                    {
                        near++;
                    }
                }
            }
        }

        return (near, expired);
    }

    /// <summary>
    /// A check's last result, kept for <see cref="Interval"/> on the vault's clock: a busy health endpoint must not
    /// fsync a write or scan the whole vault on every probe.
    /// </summary>
    internal sealed class Throttled<T>
    {
        public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
        private readonly SemaphoreSlim _sync = new(1, 1);
        private DateTimeOffset? _at;
        private T _last = default!;

        public async ValueTask<T> GetAsync(TimeProvider time, Func<ValueTask<T>> compute)
        {
            await _sync.WaitAsync().ConfigureAwait(false);
            try
            {
                var now = time.GetUtcNow();
                if (_at is null || now - _at >= Interval || now < _at)
                {
                    _last = await compute().ConfigureAwait(false);
                    _at = now;
                }

                return _last;
            }
            finally
            {
                _sync.Release();
            }
        }
    }
}
