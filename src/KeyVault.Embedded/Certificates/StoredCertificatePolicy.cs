using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate policy as stored on the certificate's object record: every default resolved.</summary>
internal sealed record StoredCertificatePolicy
{
    private readonly IReadOnlyList<string> _uris = [];

    [JsonPropertyName("issuer")]
    public required string Issuer { get; init; }

    [JsonPropertyName("subject")]
    public string? Subject { get; init; }

    [JsonPropertyName("dns")]
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    [JsonPropertyName("emails")]
    public IReadOnlyList<string> Emails { get; init; } = [];

    [JsonPropertyName("upns")]
    public IReadOnlyList<string> UserPrincipalNames { get; init; } = [];

    [JsonPropertyName("ips")]
    public IReadOnlyList<string> IpAddresses { get; init; } = [];

    /// <summary>URI names; absent (null) in policies stored before they were kept, which had none.</summary>
    [JsonPropertyName("uris")]
    public IReadOnlyList<string> Uris
    {
        get => _uris;
        init => _uris = value ?? [];
    }

    [JsonPropertyName("kty")]
    public required string KeyType { get; init; }

    [JsonPropertyName("size")]
    public int? KeySize { get; init; }

    [JsonPropertyName("crv")]
    public string? Curve { get; init; }

    [JsonPropertyName("exportable")]
    public bool Exportable { get; init; }

    [JsonPropertyName("reuseKey")]
    public bool ReuseKey { get; init; }

    [JsonPropertyName("contentType")]
    public required string ContentType { get; init; }

    [JsonPropertyName("months")]
    public int ValidityInMonths { get; init; }

    [JsonPropertyName("enabled")]
    public bool Enabled { get; init; } = true;

    [JsonPropertyName("ct")]
    public bool? CertificateTransparency { get; init; }

    [JsonPropertyName("cty")]
    public string? CertificateType { get; init; }

    [JsonPropertyName("ku")]
    public IReadOnlyList<string> KeyUsage { get; init; } = [];

    [JsonPropertyName("eku")]
    public IReadOnlyList<string> EnhancedKeyUsage { get; init; } = [];

    [JsonPropertyName("actions")]
    public IReadOnlyList<StoredCertificateLifetimeAction> LifetimeActions { get; init; } = [];

    [JsonPropertyName("created")]
    public long Created { get; init; }

    [JsonPropertyName("updated")]
    public long Updated { get; init; }

    /// <summary>The version whose EmailContacts notification went out (each version is reported once).</summary>
    [JsonPropertyName("notified")]
    public string? NotifiedVersion { get; init; }
}

/// <summary>A stored lifetime action.</summary>
internal sealed record StoredCertificateLifetimeAction(
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("days")] int? DaysBeforeExpiry,
    [property: JsonPropertyName("percent")] int? LifetimePercentage);
