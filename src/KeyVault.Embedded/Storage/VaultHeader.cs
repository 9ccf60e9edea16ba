namespace KeyVault.Embedded.Storage;

/// <summary>
/// The vault's header: fixed facts recorded at creation (format, id, retention) plus the few vault-wide
/// settings that change (purge protection, which only ever goes on; the current key-encryption key; the root
/// descriptor). Nothing in it is secret.
/// </summary>
/// <param name="FormatVersion">The storage format; a newer format than this library knows is refused.</param>
/// <param name="VaultId">Random id, bound into every sealed record's associated data.</param>
/// <param name="CreatedOn">Creation time, Unix seconds.</param>
/// <param name="SoftDeleteRetentionDays">7 to 90, fixed at creation.</param>
/// <param name="PurgeProtection">Once true, never false again.</param>
/// <param name="CurrentKekVersion">The key-encryption key that seals new records.</param>
/// <param name="Root">Which kind of root wraps the key-encryption keys, and its non-secret parameters.</param>
/// <param name="Mac">Authenticates every other field (see <c>MetadataAuthenticator</c>).</param>
internal sealed record VaultHeader(
    int FormatVersion,
    Guid VaultId,
    long CreatedOn,
    int SoftDeleteRetentionDays,
    bool PurgeProtection,
    int CurrentKekVersion,
    RootDescriptor Root,
    byte[]? Mac = null)
{
    public const int CurrentFormat = 1;
}
