using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Records;

/// <summary>
/// The vault's header: fixed facts recorded at creation (format, id, retention) plus the few vault-wide settings that
/// change (purge protection, which only ever goes on; the current key-encryption key; the root and its check value;
/// whether a rollback anchor guards the vault). Nothing in it is secret. It is a record like any other: listed in the
/// manifest, so an older copy put back (purge protection off again) fails the integrity check.
/// </summary>
/// <param name="FormatVersion">The storage format; a newer format than this library knows is refused.</param>
/// <param name="VaultId">Random id, bound into every sealed record's associated data and every MAC.</param>
/// <param name="CreatedOn">Creation time, Unix seconds.</param>
/// <param name="SoftDeleteRetentionDays">7 to 90, fixed at creation.</param>
/// <param name="PurgeProtection">Once true, never false again.</param>
/// <param name="CurrentKekVersion">The key-encryption key that seals new records and authenticates commits.</param>
/// <param name="Root">Which kind of root wraps the key-encryption keys, and its non-secret parameters.</param>
/// <param name="RootCheck">
/// A value only the right root can compute (see <c>MetadataKeys</c>): a wrong root is told apart from an altered file.
/// </param>
/// <param name="Anchored">True once a rollback anchor has recorded this vault: from then on a missing anchor is refused.</param>
/// <param name="StoreName">
/// For a vault in a shared store (a database), the name it was created under there: a vault opened under another name is
/// refused, so that one vault's rows copied under another's name are not taken for it. Null for a file (and not stored).
/// </param>
/// <param name="Lineage">
/// Which line of the vault's history these files are on, recorded in its rollback anchor too: random at creation, and
/// new again when a restore writes an anchor or an open drops one, so that a copy from another line (the vault a
/// restore replaced, or files from before an anchor was dropped) is refused by the anchor whatever its generation.
/// Zero for a vault made before lineages (not stored).
/// </param>
internal sealed record VaultHeader(
    int FormatVersion,
    Guid VaultId,
    long CreatedOn,
    int SoftDeleteRetentionDays,
    bool PurgeProtection,
    int CurrentKekVersion,
    RootDescriptor Root,
    byte[] RootCheck,
    bool Anchored = false,
    string? StoreName = null,
    Guid Lineage = default)
{
    /// <summary>Format 2: every record in one key space, listed in an authenticated manifest (format 1 had per-kind collections).</summary>
    public const int CurrentFormat = 2;

    public byte[] Encode() => RecordCodec.Json(RecordCodec.HeaderKind, new Body
    {
        Format = FormatVersion,
        VaultId = VaultId,
        Created = CreatedOn,
        Retention = SoftDeleteRetentionDays,
        PurgeProtection = PurgeProtection,
        Kek = CurrentKekVersion,
        RootKind = Root.Kind,
        RootParameters = new SortedDictionary<string, string>(Root.Parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), StringComparer.Ordinal),
        RootCheck = RootCheck,
        Anchored = Anchored,
        StoreName = StoreName,
        Lineage = Lineage == Guid.Empty ? null : Lineage,
    }, StoredRecordJsonContext.Default.VaultHeaderBody);

    /// <summary>The header after the manifest has vouched for its bytes.</summary>
    public static VaultHeader Decode(VerifiedRecord record) => Parse(RecordCodec.Body(record, RecordCodec.HeaderKind).ToArray()) ?? throw RecordCodec.Unreadable(record.Key);

    /// <summary>
    /// The header as stored, before anything can be checked: at open the root it names must be opened before the
    /// manifest can be authenticated. The caller re-reads it through <see cref="Decode"/> once the manifest is verified.
    /// </summary>
    /// <returns>The header, or null when the bytes are not a format-2 header.</returns>
    public static VaultHeader? DecodeForBootstrap(byte[] raw) =>
        raw.Length > 2 && raw[0] == RecordCodec.Format && raw[1] == RecordCodec.HeaderKind ? Parse(raw.AsSpan(2).ToArray()) : null;

    /// <summary>
    /// The format version a stored header declares, when its prefix and its body agree on it (a newer vault). Null when
    /// they disagree or the header does not parse: a damaged header, not a newer format.
    /// </summary>
    public static int? PeekFormat(byte[] raw)
    {
        if (raw.Length < 3 || raw[1] != RecordCodec.HeaderKind)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(raw.AsMemory(2));
            return document.RootElement.TryGetProperty("format", out var format) && format.TryGetInt32(out var declared) && declared == raw[0] ? declared : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static VaultHeader? Parse(byte[] json)
    {
        Body? body;
        try
        {
            body = JsonSerializer.Deserialize(json, StoredRecordJsonContext.Default.VaultHeaderBody);
        }
        catch (JsonException)
        {
            return null;
        }

        if (body is null || body.RootKind is null || body.RootParameters is null || body.RootCheck is null)
        {
            return null;
        }

        return new VaultHeader(body.Format, body.VaultId, body.Created, body.Retention, body.PurgeProtection, body.Kek,
            new RootDescriptor(body.RootKind, new Dictionary<string, string>(body.RootParameters, StringComparer.Ordinal)), body.RootCheck, body.Anchored, body.StoreName, body.Lineage ?? Guid.Empty);
    }

    internal sealed class Body
    {
        [JsonPropertyName("format")]
        public int Format { get; set; }

        [JsonPropertyName("vaultId")]
        public Guid VaultId { get; set; }

        [JsonPropertyName("created")]
        public long Created { get; set; }

        [JsonPropertyName("retention")]
        public int Retention { get; set; }

        [JsonPropertyName("purgeProtection")]
        public bool PurgeProtection { get; set; }

        [JsonPropertyName("kek")]
        public int Kek { get; set; }

        [JsonPropertyName("rootKind")]
        public string? RootKind { get; set; }

        [JsonPropertyName("rootParams")]
        public SortedDictionary<string, string>? RootParameters { get; set; }

        [JsonPropertyName("rootCheck")]
        public byte[]? RootCheck { get; set; }

        [JsonPropertyName("anchored")]
        public bool Anchored { get; set; }

        [JsonPropertyName("storeName")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? StoreName { get; set; }

        [JsonPropertyName("lineage")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public Guid? Lineage { get; set; }
    }
}
