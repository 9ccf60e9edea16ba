namespace KeyVault.Embedded.Storage;

/// <summary>
/// One immutable version: its non-secret attributes (UTF-8 JSON, readable without the keys) and the sealed
/// payload (an AEAD envelope whose associated data binds the vault, type, name, version and these exact
/// attribute bytes). This is all the storage ever sees of a secret.
/// </summary>
/// <param name="Key">Storage key: <c>{object key}/{version}</c>.</param>
/// <param name="Sequence">The version's place in its object's history; also inside the attributes, where it is authenticated.</param>
/// <param name="Attributes">The exact attribute bytes bound into the envelope.</param>
/// <param name="Sealed">The envelope.</param>
internal sealed record VersionRecord(string Key, long Sequence, byte[] Attributes, byte[] Sealed)
{
    public string ObjectKey => Key[..Key.LastIndexOf('/')];

    public string Version => Key[(Key.LastIndexOf('/') + 1)..];
}
