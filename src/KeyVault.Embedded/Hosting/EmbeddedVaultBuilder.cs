using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyVault.Embedded.Hosting;

/// <summary>What <c>AddEmbeddedVault</c> returns: where packages add to the vault's registration (<c>UsePkcs11Root</c>).</summary>
public sealed class EmbeddedVaultBuilder
{
    internal EmbeddedVaultBuilder(IServiceCollection services, string sectionPath, IConfigurationSection? configuration)
    {
        Services = services;
        SectionPath = sectionPath;
        Configuration = configuration;
    }

    /// <summary>The service collection the vault is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The configuration path of the vault's settings (for messages), <c>EmbeddedVault</c> by default.</summary>
    public string SectionPath { get; }

    /// <summary>The vault's configuration section, when <c>AddEmbeddedVault</c> was given one (packages bind their settings under it).</summary>
    public IConfigurationSection? Configuration { get; }

    /// <summary>Sets more options, after configuration binding.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public EmbeddedVaultBuilder Configure(Action<EmbeddedVaultOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
