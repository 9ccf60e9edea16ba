using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Secrets;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace KeyVault.Embedded.AspNetCore.DataProtection;

/// <summary>
/// ASP.NET Core Data Protection's key ring kept in the vault: each element (a key, a revocation) is a secret of its
/// own, <c>{prefix}-{element id}</c>, content type <c>application/xml</c>, sealed, versioned, audited and access
/// controlled like every secret. The vault's caller is a fixed principal (the application unless told otherwise),
/// never the web request's user, so the key ring does not depend on who happens to be calling.
/// </summary>
internal sealed class EmbeddedVaultXmlRepository(Func<EmbeddedVault> vault, string prefix, VaultPrincipal principal) : IXmlRepository
{
    public const string ContentType = "application/xml";
    private const string PurposeTag = "purpose";
    private const string Purpose = "aspnetcore-data-protection";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var v = vault();
        using var caller = v.RunAs(principal);
        var elements = new List<XElement>();
        foreach (var properties in v.Secrets.GetPropertiesOfSecrets())
        {
            if (!properties.Name.StartsWith(prefix + "-", StringComparison.OrdinalIgnoreCase) || properties.Enabled == false
                || !properties.Tags.TryGetValue(PurposeTag, out var purpose) || purpose != Purpose)
            {
                continue;
            }

            var secret = v.Secrets.GetSecret(properties.Name);
            elements.Add(XElement.Parse(secret.Value));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var v = vault();
        using var caller = v.RunAs(principal);
        var secret = new KeyVaultSecret(SecretName(friendlyName, element), element.ToString(SaveOptions.DisableFormatting));
        secret.Properties.ContentType = ContentType;
        secret.Properties.Tags[PurposeTag] = Purpose;
        v.Secrets.SetSecret(secret);
    }

    /// <summary>
    /// The secret's name: the prefix and the element's id (a key's GUID); an element without a usable id (a
    /// revocation) is named by a digest of its content, so two elements never share a secret.
    /// </summary>
    private string SecretName(string? friendlyName, XElement element)
    {
        var id = element.Attribute("id")?.Value;
        if (id is not null && Guid.TryParse(id, out var guid))
        {
            return $"{prefix}-key-{guid:D}";
        }

        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((friendlyName ?? string.Empty) + "\n" + element.ToString(SaveOptions.DisableFormatting))).AsSpan(0, 16));
        return $"{prefix}-{element.Name.LocalName.ToLowerInvariant() switch { "revocation" => "revocation", _ => "element" }}-{digest}";
    }
}
