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

/// <summary>
/// Where the chain starts once retention has pruned its oldest blocks: the first block kept, its first record's sequence
/// number, the hash of the last block pruned (which the first kept block carries), and the newest pruned record's time.
/// An authenticated vault record, like the blocks.
/// </summary>
internal sealed record StoredAuditCheckpoint(
    [property: JsonPropertyName("block")] long Block,
    [property: JsonPropertyName("first")] long First,
    [property: JsonPropertyName("prev")] string Previous,
    [property: JsonPropertyName("prunedThrough")] DateTimeOffset PrunedThrough);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredAuditBlock))]
[JsonSerializable(typeof(StoredAuditCheckpoint))]
[JsonSerializable(typeof(VaultAuditEvent))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
