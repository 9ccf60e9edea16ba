using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Audit;

/// <summary>One link of the chain as stored: its sequence number, the previous link's hash, and the event.</summary>
internal sealed record StoredAuditRecord(
    [property: JsonPropertyName("seq")] long Sequence,
    [property: JsonPropertyName("prev")] string Previous,
    [property: JsonPropertyName("event")] VaultAuditEvent Event);

/// <summary>The chain's head: the last record's sequence number and hash (an authenticated vault record).</summary>
internal sealed record StoredAuditHead(
    [property: JsonPropertyName("seq")] long Sequence,
    [property: JsonPropertyName("hash")] string Hash);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredAuditRecord))]
[JsonSerializable(typeof(StoredAuditHead))]
[JsonSerializable(typeof(VaultAuditEvent))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
