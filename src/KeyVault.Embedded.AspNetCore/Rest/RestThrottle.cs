namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>What a request counts against (<see cref="VaultThrottlingOptions"/>).</summary>
internal enum RestLimit
{
    Vault,
    Key,
    KeyCreation,
}

/// <summary>
/// Fixed windows on the vault's clock, one counter per limit. A window starts at the first request after the last one
/// ended; a request past the limit is refused with the time left in the window. One lock: a few increments per request.
/// </summary>
internal sealed class RestThrottle(VaultThrottlingOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly bool _enabled = options.Enabled;
    private readonly TimeSpan _window = options.Window;
    private readonly int[] _limits = [options.VaultTransactions, options.KeyTransactions, options.KeyCreations];
    private readonly int[] _counts = new int[3];
    private readonly DateTimeOffset[] _ends = new DateTimeOffset[3];

    public static void Validate(VaultThrottlingOptions options)
    {
        if (options.Window <= TimeSpan.Zero)
        {
            throw new ArgumentException("VaultThrottlingOptions.Window must be positive.");
        }

        if (options.VaultTransactions < 1 || options.KeyTransactions < 1 || options.KeyCreations < 1)
        {
            throw new ArgumentException("VaultThrottlingOptions: every limit must be at least 1 (turn limits off with Enabled = false).");
        }
    }

    /// <summary>Counts a request; null when it may run, else how long until it may.</summary>
    public TimeSpan? TryAcquire(RestLimit limit)
    {
        if (!_enabled)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var i = (int)limit;
        lock (_lock)
        {
            if (now >= _ends[i])
            {
                _ends[i] = now + _window;
                _counts[i] = 0;
            }

            if (_counts[i] >= _limits[i])
            {
                return _ends[i] - now;
            }

            _counts[i]++;
            return null;
        }
    }
}
