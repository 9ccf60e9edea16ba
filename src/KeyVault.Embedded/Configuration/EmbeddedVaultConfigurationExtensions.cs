using KeyVault.Embedded;
using KeyVault.Embedded.Configuration;
using KeyVault.Embedded.Hosting;

namespace Microsoft.Extensions.Configuration;

/// <summary>Adds a vault's secrets to a configuration.</summary>
public static class EmbeddedVaultConfigurationExtensions
{
    /// <summary>
    /// Adds every enabled secret of the vault as a configuration key: <c>ConnectionStrings--Db</c> becomes
    /// <c>ConnectionStrings:Db</c>; keys ignore case. The vault's settings are bound from the builder's
    /// <c>EmbeddedVault</c> section when the builder is also a configuration (<c>builder.Configuration</c>), then
    /// <paramref name="configure"/> runs. The first load happens when the configuration is built and throws when the
    /// vault cannot be read (a <see cref="VaultException"/> naming the bad setting or the failure).
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="configure">Sets the vault, the prefix, expiry and reload behaviour.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> naming a vault setting that is missing or wrong.</exception>
    public static IConfigurationBuilder AddEmbeddedVault(this IConfigurationBuilder builder, Action<EmbeddedVaultConfigurationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new EmbeddedVaultConfigurationOptions();
        if (builder is IConfiguration configuration && configuration.GetSection(EmbeddedVaultDefaults.SectionName) is { } section && section.Exists())
        {
            // Bound by generated code (EnableConfigurationBindingGenerator in the project), no reflection: trim and AOT safe.
            section.Bind(options.Vault);
        }

        configure?.Invoke(options);
        var problems = SettingsValidator<EmbeddedVaultOptions>.Describe(EmbeddedVaultDefaults.SectionName, options.Vault.Problems());
        if (options.ReloadInterval is { } interval && (interval < TimeSpan.FromSeconds(1) || interval > EmbeddedVaultOptions.MaximumTimerInterval))
        {
            problems.Add($"ReloadInterval is {interval}: it must be between one second and {EmbeddedVaultOptions.MaximumTimerInterval.Days} days.");
        }

        if (options.Prefix is { } prefix && (prefix.Length == 0 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            problems.Add($"Prefix is '{prefix}': it must be the start of a secret name (letters, digits and '-'), for example 'WebApp--'.");
        }

        if (problems.Count > 0)
        {
            throw VaultErrors.BadParameter($"The vault configuration source is misconfigured: {string.Join(" ", problems)}");
        }

        return builder.Add(new EmbeddedVaultConfigurationSource(options));
    }
}
