namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// How <c>app.MapEmbeddedVaultRestApi()</c> serves the vault over Azure Key Vault's data-plane REST API: who may call
/// (the bearer challenge, the authentication scheme), from where (network rules), how often (throttling), and how big a
/// request may be.
/// </summary>
public sealed class VaultRestApiOptions
{
    /// <summary>
    /// The ASP.NET Core authentication scheme that validates bearer tokens (for example <c>JwtBearerDefaults.AuthenticationScheme</c>);
    /// null uses the default scheme. A request it does not authenticate gets 401 with the challenge.
    /// </summary>
    public string? AuthenticationScheme { get; set; }

    /// <summary>
    /// The <c>authorization</c> URI of the 401 challenge: where a client gets a token (the SDKs take the tenant from its
    /// last segment, so it needs a path). Null: the request's origin with the vault's id as the path (a tenant of its
    /// own). With Entra ID, <c>https://login.microsoftonline.com/{tenant}</c>.
    /// </summary>
    public Uri? Authority { get; set; }

    /// <summary>
    /// The <c>resource</c> of the 401 challenge: the audience clients ask a token for (scope <c>{resource}/.default</c>).
    /// Null: the domain above the host the request named (<c>https://example.com</c> for <c>vault.example.com</c>), as
    /// Azure answers <c>https://vault.azure.net</c> for <c>name.vault.azure.net</c>: the SDKs accept a challenge only
    /// when the vault's host ends with <c>.</c> and the resource's host. Tokens must name it as their audience in the
    /// host's token validation.
    /// </summary>
    public Uri? Resource { get; set; }

    /// <summary>Which client addresses may call (Azure's firewall). Default: every address.</summary>
    public VaultNetworkRules Network { get; set; } = new();

    /// <summary>Request limits per vault, as Azure's service limits. Default: Azure's limits, on.</summary>
    public VaultThrottlingOptions Throttling { get; set; } = new();

    /// <summary>The largest request body accepted, in bytes (a larger one is 400 <c>BadParameter</c>). Default 256 KiB.</summary>
    public int MaxRequestBodySize { get; set; } = 256 * 1024;

    /// <summary>
    /// Serve a vault whose access control is off (<see cref="Access.VaultAuthorizationMode.None"/>), so that every
    /// authenticated caller may do everything. Default false: such a vault answers 403 to every request, because a
    /// network front without access control is rarely what a deployment means.
    /// </summary>
    public bool AllowWithoutAccessControl { get; set; }

    /// <summary>The api-version values served: Key Vault 7.4 through the newest the Azure SDKs here send.</summary>
    public static IReadOnlyList<string> SupportedApiVersions { get; } = ["7.4", "7.5", "7.6-preview.2", "7.6", "2025-07-01", "2026-04-01"];
}
