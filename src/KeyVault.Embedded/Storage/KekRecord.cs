namespace KeyVault.Embedded.Storage;

/// <summary>One version of the vault's key-encryption key, wrapped by the root (RFC 3394 for the built-in roots).</summary>
internal sealed record KekRecord(int Version, byte[] WrappedKey, long CreatedOn);
