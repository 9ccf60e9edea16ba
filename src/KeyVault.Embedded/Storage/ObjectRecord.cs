using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Storage;

/// <summary>
/// The per-name state shared by every object type: the display name (as first given), the soft-delete state, and
/// the current version. Nothing in it is secret.
/// </summary>
/// <remarks>
/// A store persists only the object's own fields. <see cref="CurrentVersion"/> and <see cref="LatestSequence"/> are
/// derived by the store from the versions (the one with the highest sequence is current), so setting a secret writes
/// one document, the new version, and there is no separate pointer that could disagree with the versions.
/// </remarks>
/// <param name="Key">Storage key: <c>{type segment}/{lowercase name}</c>.</param>
/// <param name="Type">Secret, key or certificate.</param>
/// <param name="Name">The name as given at creation (names compare case-insensitively).</param>
/// <param name="CurrentVersion">The version with the highest sequence: what a get without a version reads.</param>
/// <param name="CreatedOn">When the first version was made, Unix seconds.</param>
/// <param name="DeletedOn">When the object was soft-deleted, Unix seconds; null while active.</param>
/// <param name="ScheduledPurgeDate">When the retention ends and the vault purges it, Unix seconds.</param>
/// <param name="LatestSequence">The current version's sequence number (versions are numbered 1, 2, 3...).</param>
/// <param name="Policy">The object's policy as JSON (a key's rotation policy, a certificate's policy), or null.</param>
/// <param name="Mac">Authenticates the stored fields (see <c>MetadataAuthenticator</c>).</param>
/// <param name="ManagedBy">What manages this object ("certificate" for a certificate's key and secret), or null.</param>
internal sealed record ObjectRecord(
    string Key,
    ObjectType Type,
    string Name,
    string CurrentVersion,
    long CreatedOn,
    long? DeletedOn = null,
    long? ScheduledPurgeDate = null,
    long LatestSequence = 1,
    string? Policy = null,
    byte[]? Mac = null,
    string? ManagedBy = null)
{
    private string? _normalizedName;

    public bool IsDeleted => DeletedOn is not null;

    /// <summary>The canonical name (the key's last segment), as bound into sealed records. Never changes for an object.</summary>
    public string NormalizedName => _normalizedName ??= Key[(Key.IndexOf('/') + 1)..];
}
