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

        var writeFailure = writes.Get(core.Time, () =>
        {
            try
            {
                new VaultSettings(core).Put(ProbeSetting, core.Now().ToString(System.Globalization.CultureInfo.InvariantCulture));
                return null;
            }
            catch (Exception ex) when (ex is VaultException or IOException or UnauthorizedAccessException)
            {
                return ex;
            }
        });

        var (near, expired) = expiry.Get(core.Time, () => CountExpiry(core, lifecycle, nearExpiryWindow));
        return new VaultHealth(rootFailure, writeFailure, near, expired);
    }

    /// <summary>Current, enabled, unmanaged secrets, keys and certificates near expiry and expired (a scan of the vault).</summary>
    private static (int Near, int Expired) CountExpiry(VaultCore core, ObjectLifecycle lifecycle, TimeSpan nearExpiryWindow)
    {
        var now = core.Time.GetUtcNow();
        int near = 0, expired = 0;
        foreach (var type in Watched)
        {
            foreach (var current in lifecycle.ListCurrent(type))
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
        private readonly Lock _sync = new();
        private DateTimeOffset? _at;
        private T _last = default!;

        public T Get(TimeProvider time, Func<T> compute)
        {
            lock (_sync)
            {
                var now = time.GetUtcNow();
                if (_at is null || now - _at >= Interval || now < _at)
                {
                    _last = compute();
                    _at = now;
                }

                return _last;
            }
        }
    }
}
