using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KeyVault.Embedded.Secrets;

/// <summary>
/// Azure's <c>outContentType</c>: a certificate's PKCS#12 secret read as PEM (the private key as PKCS#8, then the
/// certificate, then its chain), the one conversion Azure offers.
/// </summary>
internal static class SecretFormats
{
    public static KeyVaultSecret Convert(KeyVaultSecret secret, SecretContentType target)
    {
        var properties = secret.Properties;
        if (properties.ContentType is { } own && new SecretContentType(own) == target)
        {
            return secret;
        }

        if (!properties.Managed || properties.ContentType is not { } stored || new SecretContentType(stored) != SecretContentType.Pkcs12 || target != SecretContentType.Pem)
        {
            throw VaultErrors.BadParameter($"Secret '{secret.Name}' cannot be read as {target}: the only conversion is of a certificate's {SecretContentType.Pkcs12} secret to {SecretContentType.Pem}.");
        }

        // The value is PEM now, and says so (its properties are this read's own copy).
        var value = ToPem(secret);
        properties.ContentType = SecretContentType.Pem.ToString();
        return new KeyVaultSecret(properties, value);
    }

    private static string ToPem(KeyVaultSecret secret)
    {
        byte[] pfx;
        try
        {
            pfx = System.Convert.FromBase64String(secret.Value);
        }
        catch (FormatException ex)
        {
            throw VaultErrors.Integrity(Lifecycle.ObjectType.Secret, secret.Name, secret.Properties.Version ?? string.Empty, ex);
        }

        try
        {
            var certificates = X509CertificateLoader.LoadPkcs12Collection(pfx, null, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
            try
            {
                // The leaf: the certificate of the key when the key is there (exportable), else the first, which is
                // where the vault writes it.
                var leaf = certificates.FirstOrDefault(c => c.HasPrivateKey) ?? certificates.FirstOrDefault()
                    ?? throw VaultErrors.Integrity(Lifecycle.ObjectType.Secret, secret.Name, secret.Properties.Version ?? string.Empty);
                var pem = new StringBuilder();
                using (AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)leaf.GetRSAPrivateKey() ?? leaf.GetECDsaPrivateKey())
                {
                    if (key is not null)
                    {
                        pem.AppendLine(key.ExportPkcs8PrivateKeyPem());
                    }
                }

                pem.AppendLine(leaf.ExportCertificatePem());
                foreach (var other in certificates.Where(c => !ReferenceEquals(c, leaf)))
                {
                    pem.AppendLine(other.ExportCertificatePem());
                }

                return pem.ToString();
            }
            finally
            {
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }
        }
        catch (CryptographicException ex)
        {
            // The vault wrote this secret: one it cannot read back was altered or is damaged.
            throw VaultErrors.Integrity(Lifecycle.ObjectType.Secret, secret.Name, secret.Properties.Version ?? string.Empty, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }
}
