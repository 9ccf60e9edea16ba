using KeyVault.Embedded.AspNetCore.Rest;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the vault over Azure Key Vault's data-plane REST API.</summary>
public static class EmbeddedVaultRestApiExtensions
{
    /// <summary>
    /// Maps Azure Key Vault's data-plane REST API (secrets, keys, certificates; api-version 7.4 through the newest the
    /// Azure SDKs send) at the root of <paramref name="endpoints"/>, so that unmodified Azure SDK clients, given this
    /// host's URL as the vault URL and a credential for its tokens, use the vault. Needs the vault registered with
    /// <c>AddEmbeddedVault(...).UseHttpContextCaller()</c> and an ASP.NET Core authentication scheme that validates
    /// bearer tokens; serves HTTPS only (or a Unix socket). Options come from <c>services.Configure&lt;VaultRestApiOptions&gt;</c>,
    /// then <paramref name="configure"/>.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="configure">Changes the options (network rules, throttling, the challenge).</param>
    /// <returns>The group of routes, for conventions (host filters, metadata).</returns>
    /// <exception cref="InvalidOperationException">The vault's caller is not the request's user, or no authentication is registered.</exception>
    /// <exception cref="ArgumentException">An option breaks a rule (a network rule that is not a CIDR range, a limit below 1).</exception>
    public static IEndpointConventionBuilder MapEmbeddedVaultRestApi(this IEndpointRouteBuilder endpoints, Action<VaultRestApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = endpoints.ServiceProvider.GetService<IOptions<VaultRestApiOptions>>()?.Value ?? new VaultRestApiOptions();
        configure?.Invoke(options);
        var front = new RestFront(endpoints.ServiceProvider, options);
        var group = endpoints.MapGroup(string.Empty);
        var routes = new RestRoutes(group, front);
        SecretEndpoints.Map(routes);
        KeyEndpoints.Map(routes);
        CertificateEndpoints.Map(routes);
        return group;
    }
}
