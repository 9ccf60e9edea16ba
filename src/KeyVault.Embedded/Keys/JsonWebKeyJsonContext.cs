using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// System.Text.Json metadata for <see cref="JsonWebKey"/>, generated at compile time: what a trimmed or native-AOT app
/// (where reflection-based serialization is off) passes to read or write a JWK, for example
/// <c>JsonSerializer.Serialize(jwk, JsonWebKeyJsonContext.Default.JsonWebKey)</c>. The JSON is RFC 7517's, the same as
/// reflection-based serialization writes.
/// </summary>
[JsonSerializable(typeof(JsonWebKey))]
public sealed partial class JsonWebKeyJsonContext : JsonSerializerContext;
