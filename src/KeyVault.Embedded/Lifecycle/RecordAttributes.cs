using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// The non-secret properties of one object version, stored as UTF-8 JSON beside the sealed payload. The
/// exact stored bytes are part of the payload's associated data, so editing any of them on disk makes the
/// version fail its integrity check on read. Times are Unix seconds, as Azure Key Vault's attributes.
/// </summary>
internal sealed record RecordAttributes
{
    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; } = true;

    [JsonPropertyName("nbf")]
    public long? NotBefore { get; init; }

    [JsonPropertyName("exp")]
    public long? ExpiresOn { get; init; }

    [JsonPropertyName("created")]
    public long Created { get; init; }

    [JsonPropertyName("updated")]
    public long Updated { get; init; }

    /// <summary>The version's place in its object's history (1, 2, 3...): orders versions made within one second.</summary>
    [JsonPropertyName("seq")]
    public long Sequence { get; init; }

    [JsonPropertyName("contentType")]
    public string? ContentType { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>For key versions: type, size or curve, operations and public key.</summary>
    [JsonPropertyName("key")]
    public Keys.KeyAttributes? Key { get; init; }

    /// <summary>For certificate versions and pending certificate operations.</summary>
    [JsonPropertyName("cert")]
    public Certificates.CertificateAttributes? Certificate { get; init; }

    public static long ToUnix(DateTimeOffset value) => value.ToUnixTimeSeconds();

    public static long? ToUnix(DateTimeOffset? value) => value?.ToUnixTimeSeconds();

    public static DateTimeOffset FromUnix(long value) => DateTimeOffset.FromUnixTimeSeconds(value);

    public static DateTimeOffset? FromUnix(long? value) => value is { } v ? DateTimeOffset.FromUnixTimeSeconds(v) : null;
}
