using KeyVault.Embedded.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the embedded vault's health check.</summary>
public static class EmbeddedVaultHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the vault registered with <c>AddEmbeddedVault</c>: open, root reachable, writes possible
    /// (each failure reports <paramref name="failureStatus"/>), and Degraded while something is near expiry or expired.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>embedded-vault</c>.</param>
    /// <param name="failureStatus">What a failed check reports. Default Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddEmbeddedVault(this IHealthChecksBuilder builder, string name = "embedded-vault", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name, provider => new EmbeddedVaultHealthCheck(provider.GetRequiredService<EmbeddedVaultHolder>()), failureStatus, tags));
    }
}
