using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Audit;

/// <summary>
/// One link of the chain as stored: the records one commit made durable (sequence numbers <c>first</c> on), with the
/// previous block's hash.
/// </summary>
internal sealed record StoredAuditBlock(
    [property: JsonPropertyName("block")] long Block,
    [property: JsonPropertyName("prev")] string Previous,
    [property: JsonPropertyName("first")] long First,
    [property: JsonPropertyName("events")] IReadOnlyList<VaultAuditEvent> Events);

/// <summary>The chain's head: the last block, the last record's sequence number, and the last block's hash (an authenticated vault record).</summary>
internal sealed record StoredAuditHead(
    [property: JsonPropertyName("block")] long Block,
    [property: JsonPropertyName("seq")] long Sequence,
    [property: JsonPropertyName("hash")] string Hash);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredAuditBlock))]
[JsonSerializable(typeof(StoredAuditHead))]
[JsonSerializable(typeof(VaultAuditEvent))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
