using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>Source-generated JSON for stored attributes: no reflection on the read path.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecordAttributes))]
[JsonSerializable(typeof(Keys.StoredRotationPolicy))]
[JsonSerializable(typeof(Certificates.StoredCertificatePolicy))]
[JsonSerializable(typeof(List<Certificates.StoredContact>))]
[JsonSerializable(typeof(Certificates.StoredIssuer))]
internal sealed partial class RecordJsonContext : JsonSerializerContext
{
}
