namespace KeyVault.Embedded.Storage;

/// <summary>A record as a store hands it out: a key and bytes, not yet checked by anyone.</summary>
/// <param name="Key">The storage key.</param>
/// <param name="Value">The stored bytes.</param>
internal sealed record StoredRecord(string Key, byte[] Value);
