using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// The certificate-specific part of a stored version's attributes (public, authenticated): thumbprint, issuing chain,
/// how the managed secret holds the certificate; and, for a pending operation, its state, CSR and policy.
/// </summary>
internal sealed record CertificateAttributes
{
    [JsonPropertyName("x5t")]
    public string? Thumbprint { get; init; }

    /// <summary>The issuing chain, base64 DER, from the issuer up.</summary>
    [JsonPropertyName("chain")]
    public IReadOnlyList<string>? Chain { get; init; }

    [JsonPropertyName("exportable")]
    public bool Exportable { get; init; }

    [JsonPropertyName("contentType")]
    public string? ContentType { get; init; }

    /// <summary>A pending operation's status: inProgress, cancelled or failed.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    /// <summary>A failed pending operation's reason (no secret: the issuer's name and provider).</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    [JsonPropertyName("issuer")]
    public string? Issuer { get; init; }

    /// <summary>A pending operation's certificate signing request, base64 DER.</summary>
    [JsonPropertyName("csr")]
    public string? Csr { get; init; }

    /// <summary>
    /// On a certificate version, true when it has no operation to show: it was imported (no operation made it), or the
    /// completed operation that made it was deleted. Null (the default) when its completed operation is still there.
    /// </summary>
    [JsonPropertyName("noOperation")]
    public bool? NoOperation { get; init; }

    /// <summary>A pending operation's policy (JSON), applied when the signed certificate is merged.</summary>
    [JsonPropertyName("policy")]
    public string? Policy { get; init; }
}
