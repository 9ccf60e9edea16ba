using System.Net.Sockets;
using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>What the store makes of the driver's errors: a lost or refused connection is transient, the rest a storage failure.</summary>
internal static class PostgreSqlErrors
{
    /// <summary>Whether <paramref name="exception"/> says the database cannot be reached now (and may be later).</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.CannotConnectNow,
        // Not the server's answer: the client could not connect, lost the connection or timed out ("No suitable host").
        NpgsqlException => true,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// The vault's error for a failed call: <c>StorageUnavailable</c> (transient) or <c>StorageFailure</c>. Never the
    /// connection string. A lost database also empties <paramref name="pool"/>, so that the next call connects afresh
    /// rather than meet another connection the restart broke.
    /// </summary>
    public static VaultException Translate(Exception exception, string location, string what, NpgsqlDataSource? pool = null)
    {
        if (!IsUnavailable(exception))
        {
            return VaultErrors.StorageFailure($"{what} at {location} failed ({Describe(exception)})", exception);
        }

        if (exception is not PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.ReadOnlySqlTransaction })
        {
            pool?.Clear(); // a connection lost, or a server restarted: the others in the pool are likely broken too
        }

        return VaultErrors.StorageUnavailable($"{what} at {location} failed ({Describe(exception)})", exception);
    }

    private static string Describe(Exception exception) =>
        exception is PostgresException pg ? $"PostgreSQL {pg.SqlState}: {pg.MessageText}" : exception.GetType().Name;

    /// <summary>Runs a database call, translating the driver's errors (the vault's own pass through).</summary>
    public static async ValueTask<T> GuardAsync<T>(Func<ValueTask<T>> call, string location, string what, NpgsqlDataSource? pool = null)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or SocketException or TimeoutException)
        {
            throw Translate(ex, location, what, pool);
        }
    }
}
