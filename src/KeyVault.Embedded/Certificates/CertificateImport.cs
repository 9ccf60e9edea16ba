using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Reads a certificate to import, with .NET's loaders: PKCS#12 through <see cref="X509CertificateLoader"/>, PEM through
/// <see cref="PemEncoding"/> and the key types' own PEM import. Finds the leaf (the certificate of the private key),
/// the chain (the others) and the key, or fails with <c>BadParameter</c>.
/// </summary>
internal static class CertificateImport
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ImportedCertificate Read(byte[] data, string? password, Func<KeyType, IReadOnlyList<string>> operationsFor)
    {
        if (data.Length == 0)
        {
            throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate is empty.");
        }

        return TryText(data) is { } text && text.Contains("-----BEGIN", StringComparison.Ordinal)
            ? ReadPem(text, password, operationsFor)
            : ReadPkcs12(data, password, operationsFor);
    }

    private static ImportedCertificate ReadPkcs12(byte[] data, string? password, Func<KeyType, IReadOnlyList<string>> operationsFor)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(data, password, X509KeyStorageFlags.Exportable);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400,
                "ImportCertificateOptions.Certificate could not be read as PKCS#12 with ImportCertificateOptions.Password: the password is wrong, or the data is not a PKCS#12 (PFX) file or PEM.", ex);
        }

        try
        {
            var withKeys = collection.Where(c => c.HasPrivateKey).ToList();
            if (withKeys.Count != 1)
            {
                throw VaultErrors.BadParameter($"ImportCertificateOptions.Certificate must hold exactly one certificate with its private key; it holds {withKeys.Count}.");
            }

            var leaf = withKeys[0];
            using var key = (AsymmetricAlgorithm?)leaf.GetRSAPrivateKey() ?? leaf.GetECDsaPrivateKey()
                ?? throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate holds a key that is neither RSA nor EC.");

            // PKCS#12 pairs a key with a certificate by a bag attribute (localKeyId), not by the key itself: check that the
            // key is the certificate's, as the PEM path does.
            if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate: the PKCS#12 file pairs its certificate with a private key that is not the certificate's key.");
            }

            var newKey = ToNewKey(key, operationsFor);
            var chain = collection.Where(c => !ReferenceEquals(c, leaf)).Select(c => c.RawData).ToList();
            return new ImportedCertificate(X509CertificateLoader.LoadCertificate(leaf.RawData), newKey, chain, Pem: false);
        }
        finally
        {
            foreach (var certificate in collection)
            {
                certificate.Dispose();
            }
        }
    }

    private static ImportedCertificate ReadPem(string text, string? password, Func<KeyType, IReadOnlyList<string>> operationsFor)
    {
        var certificates = new List<X509Certificate2>();
        string? keyPem = null;
        var encrypted = false;
        try
        {
            var rest = text.AsMemory();
            while (PemEncoding.TryFind(rest.Span, out var fields))
            {
                var label = rest.Span[fields.Label].ToString();
                var block = rest[fields.Location].ToString();
                switch (label)
                {
                    case "CERTIFICATE":
                        certificates.Add(LoadPemCertificate(block));
                        break;
                    case "PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY" or "ENCRYPTED PRIVATE KEY":
                        if (keyPem is not null)
                        {
                            throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate holds more than one private key.");
                        }

                        keyPem = block;
                        encrypted = label == "ENCRYPTED PRIVATE KEY";
                        break;
                    default:
                        throw VaultErrors.BadParameter($"ImportCertificateOptions.Certificate holds a PEM block '{label}': expected CERTIFICATE and PRIVATE KEY blocks.");
                }

                rest = rest[fields.Location.End..];
            }

            if (keyPem is null)
            {
                throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate holds no private key: PEM imports need a PRIVATE KEY (PKCS#8) block.");
            }

            if (certificates.Count == 0)
            {
                throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate holds no CERTIFICATE block.");
            }

            if (encrypted && password is null)
            {
                throw VaultErrors.BadParameter("ImportCertificateOptions.Password is required: the PEM private key is encrypted.");
            }

            // The leaf is the certificate of the private key; the rest are its chain, in the order given.
            foreach (var candidate in certificates)
            {
                using var key = LoadPemKey(candidate, keyPem, encrypted ? password : null);
                if (key is null)
                {
                    continue;
                }

                if (candidate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                {
                    var chain = certificates.Where(c => !ReferenceEquals(c, candidate)).Select(c => c.RawData).ToList();
                    return new ImportedCertificate(X509CertificateLoader.LoadCertificate(candidate.RawData), ToNewKey(key, operationsFor), chain, Pem: true);
                }
            }

            throw VaultErrors.BadParameter("ImportCertificateOptions.Certificate: the private key does not match any of its certificates.");
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private static X509Certificate2 LoadPemCertificate(string block)
    {
        try
        {
            return X509Certificate2.CreateFromPem(block);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, "ImportCertificateOptions.Certificate holds a CERTIFICATE block that is not a valid X.509 certificate.", ex);
        }
    }

    /// <summary>The private key, read as the certificate's key type; null when the key is of another type.</summary>
    private static AsymmetricAlgorithm? LoadPemKey(X509Certificate2 certificate, string keyPem, string? password)
    {
        AsymmetricAlgorithm? key = certificate.GetKeyAlgorithm() switch
        {
            "1.2.840.113549.1.1.1" => RSA.Create(),
            "1.2.840.10045.2.1" => ECDsa.Create(),
            _ => null,
        };
        if (key is null)
        {
            return null;
        }

        try
        {
            if (password is null)
            {
                key.ImportFromPem(keyPem);
            }
            else
            {
                key.ImportFromEncryptedPem(keyPem, password);
            }

            return key;
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            key.Dispose();
            return null;
        }
    }

    private static NewKey ToNewKey(AsymmetricAlgorithm key, Func<KeyType, IReadOnlyList<string>> operationsFor)
    {
        if (key is RSA rsa)
        {
            KeyTypes.ValidateSize(KeyType.Rsa, rsa.KeySize);
            return KeyFactory.FromRsa(rsa, operationsFor(KeyType.Rsa));
        }

        var ecdsa = (ECDsa)key;
        var curve = Curves.FromOid(ecdsa.ExportParameters(false).Curve.Oid);
        return KeyFactory.FromEcdsa(ecdsa, curve, operationsFor(KeyType.Ec));
    }

    private static string? TryText(byte[] data)
    {
        try
        {
            return StrictUtf8.GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

/// <summary>A certificate read for import: the leaf, its key (zeroed on dispose) and its chain (DER).</summary>
internal sealed record ImportedCertificate(X509Certificate2 Leaf, NewKey Key, IReadOnlyList<byte[]> Chain, bool Pem) : IDisposable
{
    public void Dispose()
    {
        Leaf.Dispose();
        Key.Dispose();
    }
}
