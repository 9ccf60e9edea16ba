using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys.Cryptography;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace KeyVault.Embedded.AspNetCore.DataProtection;

/// <summary>
/// Decrypts a key ring element <see cref="EmbeddedVaultXmlEncryptor"/> wrote: the vault unwraps the element's key with
/// the vault key version named in it (so an element outlives the key's rotation), and AES-256-GCM opens the element.
/// Data Protection creates it from the application's services. A removed or refused key is a
/// <see cref="CryptographicException"/> naming the key, with the vault's error inside.
/// </summary>
public sealed class EmbeddedVaultXmlDecryptor : IXmlDecryptor
{
    private readonly IServiceProvider _services;

    /// <summary>Creates the decryptor (Data Protection calls this with the application's services).</summary>
    /// <param name="services">The services holding the vault.</param>
    public EmbeddedVaultXmlDecryptor(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
    }

    /// <inheritdoc/>
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var kid = Required(encryptedElement, "kid");
        var algorithm = Required(encryptedElement, "alg");
        var wrapped = Base64(encryptedElement, "key");
        var nonce = Base64(encryptedElement, "nonce");
        var tag = Base64(encryptedElement, "tag");
        var ciphertext = Base64(encryptedElement, "value");
        if (!KeyVaultKeyIdentifierParts.TryParse(kid, out var name, out var version))
        {
            throw new CryptographicException($"Data Protection key ring: '{kid}' is not a vault key id.");
        }

        var vault = _services.GetRequiredService<EmbeddedVault>();
        var principal = _services.GetService<EmbeddedVaultKeyRingPrincipal>()?.Principal ?? VaultPrincipal.Application;
        byte[] dek;
        using (vault.RunAs(principal))
        {
            try
            {
                using var crypto = vault.Keys.GetCryptographyClient(name, version);
                dek = crypto.UnwrapKey(new KeyWrapAlgorithm(algorithm), wrapped).Key;
            }
            catch (VaultException ex)
            {
                throw new CryptographicException($"Data Protection key ring: the vault could not unwrap a key ring element with key '{name}' (version {version}): {ex.ErrorCode}. {ex.Message}", ex);
            }
        }

        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var gcm = new AesGcm(dek, tag.Length);
            gcm.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(kid, algorithm));
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CryptographicException($"Data Protection key ring: an element encrypted with key '{name}' does not authenticate (it was changed).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The associated data: the key id and the wrap algorithm, so neither can be swapped in the XML.</summary>
    internal static byte[] AssociatedData(string kid, string algorithm) => Encoding.UTF8.GetBytes($"KeyVault.Embedded data protection\n{kid}\n{algorithm}");

    private static string Required(XElement element, string name) =>
        element.Element(name)?.Value is { Length: > 0 } value ? value : throw new CryptographicException($"Data Protection key ring: the encrypted element has no <{name}>.");

    private static byte[] Base64(XElement element, string name)
    {
        try
        {
            return Convert.FromBase64String(Required(element, name));
        }
        catch (FormatException ex)
        {
            throw new CryptographicException($"Data Protection key ring: <{name}> of the encrypted element is not base64.", ex);
        }
    }

    private static class KeyVaultKeyIdentifierParts
    {
        public static bool TryParse(string kid, out string name, out string version)
        {
            name = version = string.Empty;
            if (!Uri.TryCreate(kid, UriKind.Absolute, out var uri))
            {
                return false;
            }

            var segments = uri.AbsolutePath.Trim('/').Split('/');
            if (segments.Length < 3 || !segments[^3].Equals("keys", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            name = Uri.UnescapeDataString(segments[^2]);
            version = segments[^1];
            return name.Length > 0 && version.Length > 0;
        }
    }
}

/// <summary>The principal the key ring acts as in the vault (registered by the Data Protection extensions).</summary>
internal sealed record EmbeddedVaultKeyRingPrincipal(VaultPrincipal Principal);
