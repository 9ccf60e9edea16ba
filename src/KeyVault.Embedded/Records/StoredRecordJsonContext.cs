using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Records;

/// <summary>Source-generated JSON for the stored record bodies: no reflection on the read path.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObjectRecord.Body), TypeInfoPropertyName = "ObjectRecordBody")]
[JsonSerializable(typeof(VaultHeader.Body), TypeInfoPropertyName = "VaultHeaderBody")]
internal sealed partial class StoredRecordJsonContext : JsonSerializerContext
{
}
