using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// The key-specific part of a key version's stored attributes: type, size or curve, allowed operations and the public
/// key (base64url). Public and authenticated (the attribute bytes are bound into the sealed private key's associated
/// data); the private or symmetric material is only ever in the sealed payload.
/// </summary>
internal sealed record KeyAttributes
{
    [JsonPropertyName("kty")]
    public required string KeyType { get; init; }

    [JsonPropertyName("ops")]
    public required IReadOnlyList<string> Operations { get; init; }

    /// <summary>RSA modulus or AES key size, in bits.</summary>
    [JsonPropertyName("size")]
    public int? Size { get; init; }

    [JsonPropertyName("crv")]
    public string? Curve { get; init; }

    [JsonPropertyName("n")]
    public string? N { get; init; }

    [JsonPropertyName("e")]
    public string? E { get; init; }

    [JsonPropertyName("x")]
    public string? X { get; init; }

    [JsonPropertyName("y")]
    public string? Y { get; init; }

    /// <summary>Where the private key lives when not in the sealed payload (a token object reference, for -HSM keys).</summary>
    [JsonPropertyName("hsm")]
    public string? HsmReference { get; init; }
}
