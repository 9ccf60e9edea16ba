using KeyVault.Embedded;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Pkcs11;
using KeyVault.Embedded.Pkcs11.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts a registered vault under a PKCS#11 root of trust.</summary>
public static class EmbeddedVaultPkcs11BuilderExtensions
{
    /// <summary>The section under the vault's settings that this reads: <c>Root:Pkcs11</c>.</summary>
    public const string SectionName = "Root:Pkcs11";

    /// <summary>
    /// Roots the vault in a PKCS#11 token. Settings are bound from the vault's <c>Root:Pkcs11</c> section (when
    /// <c>AddEmbeddedVault</c> was given configuration), then <paramref name="configure"/>; they are validated when the
    /// host starts, with messages naming the setting. The PIN is read from a file or an environment variable when the
    /// vault opens; the provider is disposed (its PIN copy zeroed) with the service provider.
    /// </summary>
    /// <param name="builder">What <c>AddEmbeddedVault</c> returned.</param>
    /// <param name="configure">Sets or changes the settings.</param>
    /// <returns>The builder.</returns>
    public static EmbeddedVaultBuilder UsePkcs11Root(this EmbeddedVaultBuilder builder, Action<Pkcs11RootSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = builder.Services.AddOptions<Pkcs11RootSettings>();
        if (builder.Configuration is { } vaultSection)
        {
            settings.Bind(vaultSection.GetSection(SectionName));
        }

        if (configure is not null)
        {
            settings.Configure(configure);
        }

        var path = $"{builder.SectionPath}:{SectionName}";
        // Validated when the vault's options are (at start): resolving the root reads these settings.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Pkcs11RootSettings>>(new SettingsValidator<Pkcs11RootSettings>(path, s => s.Problems())));
        builder.Services.TryAddSingleton(provider => provider.GetRequiredService<IOptions<Pkcs11RootSettings>>().Value.CreateRootKey());
        builder.Services.AddOptions<EmbeddedVaultOptions>().PostConfigure<IServiceProvider>((options, provider) =>
            options.RootKey ??= provider.GetRequiredService<Pkcs11RootKey>());
        return builder;
    }
}
