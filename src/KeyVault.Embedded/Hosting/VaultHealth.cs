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
    public static async Task<VaultHealth> ProbeAsync(VaultCore core, ObjectLifecycle lifecycle, TimeSpan nearExpiryWindow, WriteProbe writes, CancellationToken cancellationToken)
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

        var writeFailure = writes.Check(core, () =>
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

        return new VaultHealth(rootFailure, writeFailure, near, expired);
    }

    /// <summary>
    /// The write check's last result, kept for <see cref="Interval"/> on the vault's clock: a durable write per probe
    /// would fsync every few seconds under a busy health endpoint.
    /// </summary>
    internal sealed class WriteProbe
    {
        public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
        private readonly Lock _sync = new();
        private DateTimeOffset? _at;
        private Exception? _failure;

        public Exception? Check(VaultCore core, Func<Exception?> write)
        {
            lock (_sync)
            {
                var now = core.Time.GetUtcNow();
                if (_at is null || now - _at >= Interval || now < _at)
                {
                    _failure = write();
                    _at = now;
                }

                return _failure;
            }
        }
    }
}
