using Microsoft.Extensions.Configuration;

namespace KeyVault.Embedded.Configuration;

/// <summary>The configuration source <c>AddEmbeddedVault</c> adds; builds an <see cref="EmbeddedVaultConfigurationProvider"/>.</summary>
internal sealed class EmbeddedVaultConfigurationSource : IConfigurationSource
{
    private readonly EmbeddedVaultConfigurationOptions _options;

    public EmbeddedVaultConfigurationSource(EmbeddedVaultConfigurationOptions options)
    {
        _options = options;
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new EmbeddedVaultConfigurationProvider(_options);
}
