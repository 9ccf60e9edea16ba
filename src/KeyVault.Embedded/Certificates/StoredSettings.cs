using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate contact as stored in the vault's settings.</summary>
internal sealed record StoredContact(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("phone")] string? Phone);

/// <summary>A certificate issuer as stored in the vault's settings.</summary>
internal sealed record StoredIssuer(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("certificate")] string? CertificateName,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("updated")] long Updated,
    [property: JsonPropertyName("account"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AccountId = null,
    [property: JsonPropertyName("organization"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OrganizationId = null,
    [property: JsonPropertyName("administrators"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<StoredAdministrator>? Administrators = null);

/// <summary>An administrator at an outside CA, as an issuer of that CA stores it.</summary>
internal sealed record StoredAdministrator(
    [property: JsonPropertyName("first")] string? FirstName,
    [property: JsonPropertyName("last")] string? LastName,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("phone")] string? Phone);
