using Npgsql;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>
/// A session advisory lock (<c>pg_try_advisory_lock</c>) on a name within the vault, held on a connection of its own:
/// one instance at a time holds it. Released when disposed, or by PostgreSQL when the connection is lost.
/// </summary>
internal sealed class PostgreSqlLease : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly string _name;

    private PostgreSqlLease(NpgsqlConnection connection, string name)
    {
        _connection = connection;
        _name = name;
    }

    /// <summary>The lease, or null when another session holds it.</summary>
    public static async ValueTask<PostgreSqlLease?> TryTakeAsync(PostgreSqlRecordStore store, string name, CancellationToken cancellationToken)
    {
        var lockName = $"KeyVault.Embedded {store.Schema} {store.Vault} {name}";
        return await PostgreSqlErrors.GuardAsync(async () =>
        {
            var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext($1))", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = lockName });
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    return new PostgreSqlLease(connection, lockName);
                }
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }, store.Location, "taking a lease", store.DataSource).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext($1))", _connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _name });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            // A lost connection released the lock already.
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
