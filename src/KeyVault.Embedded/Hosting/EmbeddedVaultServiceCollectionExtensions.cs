using System.Diagnostics.Metrics;
using KeyVault.Embedded;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an embedded vault in a service collection.</summary>
public static class EmbeddedVaultServiceCollectionExtensions
{
    /// <summary>The configuration section <c>AddEmbeddedVault</c> reads when given a whole configuration: <c>EmbeddedVault</c>.</summary>
    public const string DefaultSectionName = EmbeddedVaultDefaults.SectionName;

    /// <summary>
    /// Registers one vault: <see cref="EmbeddedVault"/>, <see cref="ISecretStore"/>, <see cref="IKeyStore"/> and
    /// <see cref="ICertificateStore"/> as singletons over it. Options are validated when the host starts
    /// (<c>ValidateOnStart</c>), with messages naming the setting; the vault opens when the host starts (or at first
    /// use without a host) and closes with the service provider. Unless <see cref="EmbeddedVaultBackgroundOptions.Enabled"/>
    /// is false, a hosted service purges, rotates, renews and raises expiry events on the vault's clock. The host's
    /// <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/> and registered <see cref="TimeProvider"/> (unless the options set one) are used.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for more settings (a PKCS#11 root).</returns>
    public static EmbeddedVaultBuilder AddEmbeddedVault(this IServiceCollection services, Action<EmbeddedVaultOptions>? configure = null) =>
        Register(services, DefaultSectionName, null, configure is null ? null : options => options.Configure(configure));

    /// <summary>
    /// Registers one vault with options bound from configuration, then <paramref name="configure"/>. Give the section
    /// (<c>builder.Configuration.GetSection("EmbeddedVault")</c>) or the whole configuration (its <c>EmbeddedVault</c>
    /// section is used): <c>{ "Path": "...", "Root": { "KeyFile": "..." }, "SoftDeleteRetentionDays": 90,
    /// "EnablePurgeProtection": true, "Background": { "Interval": "01:00:00" } }</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The vault's section, or a configuration holding an <c>EmbeddedVault</c> section.</param>
    /// <param name="configure">Sets more options after binding.</param>
    /// <returns>A builder for more settings (a PKCS#11 root).</returns>
    public static EmbeddedVaultBuilder AddEmbeddedVault(this IServiceCollection services, IConfiguration configuration, Action<EmbeddedVaultOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration is IConfigurationSection named ? named : configuration.GetSection(DefaultSectionName);
        return Register(services, section.Path, section, options =>
        {
            // Bound by generated code (EnableConfigurationBindingGenerator in the project), no reflection: trim and AOT safe.
            options.Bind(section);
            if (configure is not null)
            {
                options.Configure(configure);
            }
        });
    }

    private static EmbeddedVaultBuilder Register(IServiceCollection services, string sectionPath, IConfigurationSection? section, Action<OptionsBuilder<EmbeddedVaultOptions>>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<EmbeddedVaultOptions>();
        configure?.Invoke(options);
        options.PostConfigure<IServiceProvider>((o, provider) =>
        {
            o.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            o.MeterFactory ??= provider.GetService<IMeterFactory>();
            // The host's clock, unless the options named one.
            if (ReferenceEquals(o.TimeProvider, TimeProvider.System) && provider.GetService<TimeProvider>() is { } time)
            {
                o.TimeProvider = time;
            }
        });
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbeddedVaultOptions>>(new SettingsValidator<EmbeddedVaultOptions>(sectionPath, o => o.Problems())));

        services.TryAddSingleton<EmbeddedVaultHolder>();
        services.TryAddSingleton(provider => provider.GetRequiredService<EmbeddedVaultHolder>().Get());
        services.TryAddSingleton(provider => provider.GetRequiredService<EmbeddedVault>().Secrets);
        services.TryAddSingleton(provider => provider.GetRequiredService<EmbeddedVault>().Keys);
        services.TryAddSingleton(provider => provider.GetRequiredService<EmbeddedVault>().Certificates);
        services.TryAddSingleton<EmbeddedVaultHostedService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EmbeddedVaultHostedService>(provider => provider.GetRequiredService<EmbeddedVaultHostedService>()));
        return new EmbeddedVaultBuilder(services, sectionPath, section);
    }
}
