using System.Text.Json.Serialization;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Records;

/// <summary>
/// The per-name state shared by every object type: the display name (as first given), the soft-delete state, the
/// policy and who manages the object. Nothing in it is secret. Which version is current is not stored here: the
/// authenticated manifest lists every version with its sequence number, and the highest is current.
/// </summary>
/// <param name="Type">Secret, key, certificate or certificate operation.</param>
/// <param name="Name">The name as given at creation (names compare case-insensitively).</param>
/// <param name="CreatedOn">When the first version was made, Unix seconds.</param>
/// <param name="DeletedOn">When the object was soft-deleted, Unix seconds; null while active.</param>
/// <param name="ScheduledPurgeDate">When the retention ends and the vault purges it, Unix seconds.</param>
/// <param name="Policy">The object's policy as JSON (a key's rotation policy, a certificate's policy), or null.</param>
/// <param name="ManagedBy">What manages this object ("certificate" for a certificate's key and secret), or null.</param>
internal sealed record ObjectRecord(
    ObjectType Type,
    string Name,
    long CreatedOn,
    long? DeletedOn = null,
    long? ScheduledPurgeDate = null,
    string? Policy = null,
    string? ManagedBy = null)
{
    private string? _key;

    public bool IsDeleted => DeletedOn is not null;

    /// <summary>The canonical name (lowercase), as bound into sealed records and storage keys. Never changes for an object.</summary>
    public string NormalizedName => ObjectRules.Normalize(Name);

    public string Key => _key ??= RecordKeys.Object(Type, NormalizedName);

    public byte[] Encode() => RecordCodec.Json(RecordCodec.ObjectKind, new Body
    {
        Type = (int)Type,
        Name = Name,
        Created = CreatedOn,
        Deleted = DeletedOn,
        Purge = ScheduledPurgeDate,
        Policy = Policy,
        ManagedBy = ManagedBy,
    }, StoredRecordJsonContext.Default.ObjectRecordBody);

    /// <exception cref="VaultIntegrityException">The bytes do not decode to the object their key names.</exception>
    public static ObjectRecord Decode(VerifiedRecord record)
    {
        var body = RecordCodec.Json(record, RecordCodec.ObjectKind, StoredRecordJsonContext.Default.ObjectRecordBody);
        var decoded = new ObjectRecord((ObjectType)body.Type, body.Name ?? string.Empty, body.Created, body.Deleted, body.Purge, body.Policy, body.ManagedBy);
        if (!Enum.IsDefined(decoded.Type) || decoded.Name.Length == 0 || !string.Equals(decoded.Key, record.Key, StringComparison.Ordinal))
        {
            throw RecordCodec.Unreadable(record.Key);
        }

        return decoded;
    }

    internal sealed class Body
    {
        [JsonPropertyName("type")]
        public int Type { get; set; }

        [JsonPropertyName("name")]
        public string? Name { get; set; }

        [JsonPropertyName("created")]
        public long Created { get; set; }

        [JsonPropertyName("deleted")]
        public long? Deleted { get; set; }

        [JsonPropertyName("purge")]
        public long? Purge { get; set; }

        [JsonPropertyName("policy")]
        public string? Policy { get; set; }

        [JsonPropertyName("managedBy")]
        public string? ManagedBy { get; set; }
    }
}
