namespace KeyVault.Embedded.Storage;

/// <summary>A record as a store holds it: its id, its key and its bytes, not yet checked by anyone.</summary>
/// <param name="Id">The record's id (see <see cref="Records.RecordIds"/>): where the store keeps it.</param>
/// <param name="Key">The record's key: what it is (<c>secrets/{name}/{version}</c>), which its authentication covers.</param>
/// <param name="Value">The stored bytes.</param>
internal sealed record StoredRecord(long Id, string Key, byte[] Value);
