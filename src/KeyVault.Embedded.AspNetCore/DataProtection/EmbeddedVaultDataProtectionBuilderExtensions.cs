using KeyVault.Embedded;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.DataProtection;

/// <summary>ASP.NET Core Data Protection with its key ring in the vault (<c>services.AddDataProtection()...</c>).</summary>
public static class EmbeddedVaultDataProtectionBuilderExtensions
{
    /// <summary>
    /// Keeps the key ring in the vault registered with <c>AddEmbeddedVault</c>: each element is a secret
    /// <c>{secretPrefix}-...</c> (sealed, versioned, audited, access controlled), so that every app instance on the vault
    /// (a shared PostgreSQL vault, or one process after a restart) reads the same keys.
    /// </summary>
    /// <param name="builder">The Data Protection builder.</param>
    /// <param name="secretPrefix">The secrets' name prefix: letters, digits and dashes. Default <c>DataProtection</c>.</param>
    /// <param name="principal">Who the key ring acts as in the vault; default the application. It needs to set, list and read those secrets.</param>
    /// <returns>The builder.</returns>
    public static IDataProtectionBuilder PersistKeysToEmbeddedVault(this IDataProtectionBuilder builder, string secretPrefix = "DataProtection", VaultPrincipal? principal = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(secretPrefix) || secretPrefix.Length > 64 || !secretPrefix.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException("The secret prefix must be 1 to 64 letters, digits and dashes.", nameof(secretPrefix));
        }

        UsePrincipal(builder, principal);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new EmbeddedVaultXmlRepository(services.GetRequiredService<EmbeddedVault>, secretPrefix, Principal(services))));
        return builder;
    }

    /// <summary>
    /// Encrypts each key ring element under the vault key <paramref name="keyName"/> (an RSA key wraps with
    /// <c>RSA-OAEP-256</c>, an oct key with <c>A256KW</c>; -HSM keys keep the key ring under a token), as
    /// <c>ProtectKeysWithAzureKeyVault</c> does. Elements name the key version that wrapped them, so rotating the key
    /// leaves older elements readable; removing the key (or the principal's right to unwrap) makes them unreadable,
    /// with an error that names the key.
    /// </summary>
    /// <param name="builder">The Data Protection builder.</param>
    /// <param name="keyName">The vault key's name.</param>
    /// <param name="principal">Who the key ring acts as in the vault; default the application. It needs to read, wrap and unwrap with the key.</param>
    /// <returns>The builder.</returns>
    public static IDataProtectionBuilder ProtectKeysWithEmbeddedVault(this IDataProtectionBuilder builder, string keyName, VaultPrincipal? principal = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(keyName);
        UsePrincipal(builder, principal);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlEncryptor = new EmbeddedVaultXmlEncryptor(services.GetRequiredService<EmbeddedVault>, keyName, Principal(services))));
        return builder;
    }

    private static void UsePrincipal(IDataProtectionBuilder builder, VaultPrincipal? principal)
    {
        if (principal is not null)
        {
            builder.Services.RemoveAll<EmbeddedVaultKeyRingPrincipal>();
            builder.Services.AddSingleton(new EmbeddedVaultKeyRingPrincipal(principal));
        }
    }

    private static VaultPrincipal Principal(IServiceProvider services) => services.GetService<EmbeddedVaultKeyRingPrincipal>()?.Principal ?? VaultPrincipal.Application;
}
