using System.Globalization;
using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// Hears other instances' commits: <c>LISTEN</c> on the schema's channel over a connection of its own, reporting each
/// notification for this vault (its generation). Reconnects by itself after a lost connection, and then reports an
/// unknown generation (notifications may have been missed meanwhile), so that the vault asks for the head.
/// </summary>
internal sealed class PostgreSqlListener : IAsyncDisposable
{
    /// <summary>How long the listener waits before connecting again.</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly string _vault;
    private readonly Action<long> _heard;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PostgreSqlListener(NpgsqlDataSource dataSource, string channel, string vault, Action<long> heard)
    {
        _dataSource = dataSource;
        _channel = channel;
        _vault = vault;
        _heard = heard;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Completes once the first <c>LISTEN</c> is in place (tests: a commit after it is heard).</summary>
    public Task Listening => _listening.Task;

    /// <summary>A notification's payload: the generation, then the vault's name (which may hold any character).</summary>
    public static string Payload(string vault, long generation) => generation.ToString(CultureInfo.InvariantCulture) + ":" + vault;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var first = true;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {_channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }

                _listening.TrySetResult();
                if (!first)
                {
                    _heard(long.MinValue); // back after a gap: whatever was committed meanwhile was not heard
                }

                first = false;
                while (!_stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
            {
                first = false;
                try
                {
                    await Task.Delay(Retry, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var colon = e.Payload.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && string.Equals(e.Payload[(colon + 1)..], _vault, StringComparison.Ordinal)
            && long.TryParse(e.Payload.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
        {
            _heard(generation);
        }
    }
}
