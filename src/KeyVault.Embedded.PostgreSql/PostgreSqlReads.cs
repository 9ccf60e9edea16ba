using KeyVault.Embedded.Storage;
using Npgsql;
using NpgsqlTypes;

namespace KeyVault.Embedded.PostgreSql;

/// <summary>The store's reads, run on a pooled connection (the store) or on one held in a snapshot's transaction.</summary>
internal sealed class PostgreSqlReads(string schema, string vault)
{
    public async ValueTask<StoredRecord?> ReadAsync(NpgsqlCommand command, long id, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, key, value FROM {schema}.records WHERE vault = $1 AND id = $2";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(NpgsqlCommand command, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, key, value FROM {schema}.records WHERE vault = $1 AND id = ANY($2)";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var found = new Dictionary<long, StoredRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Read(reader);
            found[record.Id] = record;
        }

        return found;
    }

    public async ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(NpgsqlCommand command, long first, long last, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, key, value FROM {schema}.records WHERE vault = $1 AND id BETWEEN $2 AND $3 ORDER BY id";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = last });
        var records = new List<StoredRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(Read(reader));
        }

        return records;
    }

    /// <summary>The records of the range whose bytes from <paramref name="offset"/> (0-based) compare above <paramref name="above"/>.</summary>
    public async ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAboveAsync(NpgsqlCommand command, long first, long last, int offset, byte[] above, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, key, value FROM {schema}.records WHERE vault = $1 AND id BETWEEN $2 AND $3 AND substring(value FROM $4 FOR $5) > $6 ORDER BY id";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = last });
        command.Parameters.Add(new NpgsqlParameter { Value = offset + 1 });
        command.Parameters.Add(new NpgsqlParameter { Value = above.Length });
        command.Parameters.Add(new NpgsqlParameter { Value = above, NpgsqlDbType = NpgsqlDbType.Bytea });
        var records = new List<StoredRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(Read(reader));
        }

        return records;
    }

    /// <summary>The id and the SHA-256 of the value of every record of the range, computed by the server.</summary>
    public async ValueTask<IReadOnlyList<(long Id, byte[] Digest)>> ReadRangeDigestsAsync(NpgsqlCommand command, long first, long last, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, sha256(value) FROM {schema}.records WHERE vault = $1 AND id BETWEEN $2 AND $3 ORDER BY id";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        command.Parameters.Add(new NpgsqlParameter { Value = last });
        var digests = new List<(long, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            digests.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return digests;
    }

    public async ValueTask<bool> IsEmptyAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT NOT EXISTS (SELECT 1 FROM {schema}.records WHERE vault = $1)";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The vault's head; <paramref name="forUpdate"/> locks its row for the transaction (the vault's write lock).</summary>
    public async ValueTask<StoreHead> HeadAsync(NpgsqlCommand command, bool forUpdate, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT generation, root FROM {schema}.vaults WHERE vault = $1" + (forUpdate ? " FOR UPDATE" : string.Empty);
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StoreHead(reader.GetInt64(0), (byte[])reader.GetValue(1))
            : new StoreHead(0, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>The logged links of the commits after <paramref name="after"/> up to <paramref name="upTo"/>, in order.</summary>
    public async ValueTask<IReadOnlyList<CommitLink>> ChainAsync(NpgsqlCommand command, long after, long upTo, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT generation, previous, root, mac FROM {schema}.commits WHERE vault = $1 AND generation > $2 AND generation <= $3 ORDER BY generation";
        command.Parameters.Add(new NpgsqlParameter { Value = vault });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo });
        var links = new List<CommitLink>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            links.Add(new CommitLink(reader.GetInt64(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3)));
        }

        return links;
    }

    private static StoredRecord Read(NpgsqlDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2));
}
