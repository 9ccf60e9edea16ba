using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Builds and signs certificates with .NET's <c>CertificateRequest</c>: the request from the policy (subject, SANs,
/// key usages, extended key usages, basic constraints, subject key identifier), signed by the vault key through an
/// <see cref="RSA"/> or <see cref="ECDsa"/> whose private operations stay in the vault (or the token). Also writes the
/// managed secret (PKCS#12 or PEM).
/// </summary>
internal static class CertificateIssuance
{
    /// <summary>A .NET key object for <paramref name="key"/>: public operations locally, private ones by the key.</summary>
    public static AsymmetricAlgorithm Adapter(CryptoKey key, KeyAttributes attributes) =>
        Adapter(attributes, (algorithm, digest) => key.Sign(algorithm, digest), (algorithm, data) => key.Decrypt(algorithm, data, null, null, null), owner: null);

    /// <summary>A .NET <see cref="RSA"/> or <see cref="ECDsa"/> for a stored key whose private operations <paramref name="sign"/> and <paramref name="decrypt"/> run elsewhere.</summary>
    public static AsymmetricAlgorithm Adapter(KeyAttributes attributes, Func<SignatureAlgorithm, byte[], byte[]> sign, Func<EncryptionAlgorithm, byte[], byte[]> decrypt, IDisposable? owner)
    {
        var jwk = KeyFactory.PublicJwk(attributes, null);
        if (KeyTypes.Family(attributes.KeyType) == KeyType.Rsa)
        {
            using var rsa = jwk.ToRSA();
            return new RemoteRsa(rsa.ExportParameters(false), sign, decrypt, owner);
        }

        using var ecdsa = jwk.ToECDsa();
        return new RemoteECDsa(ecdsa.ExportParameters(false), attributes.Curve!, sign, owner);
    }

    public static X509SignatureGenerator Generator(AsymmetricAlgorithm key) => key is RSA rsa
        ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
        : X509SignatureGenerator.CreateForECDsa((ECDsa)key);

    /// <summary>SHA-256 for RSA and the 256-bit curves, SHA-384 for P-384, SHA-512 for P-521: each EC curve signs with its own hash.</summary>
    public static HashAlgorithmName Hash(KeyAttributes attributes) => attributes.Curve switch
    {
        "P-384" => HashAlgorithmName.SHA384,
        "P-521" => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>The request for a certificate of <paramref name="key"/>, to be signed with <paramref name="signingHash"/> (the signer's hash).</summary>
    public static CertificateRequest Request(StoredCertificatePolicy policy, AsymmetricAlgorithm key, HashAlgorithmName signingHash)
    {
        var subject = new X500DistinguishedName(policy.Subject ?? string.Empty);
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, signingHash, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, signingHash);
        var isAuthority = policy.KeyUsage.Contains("keyCertSign");
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isAuthority, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(CertificatePolicies.KeyUsageFlags(policy.KeyUsage), critical: true));
        if (policy.EnhancedKeyUsage.Count > 0)
        {
            var usages = new OidCollection();
            foreach (var oid in policy.EnhancedKeyUsage)
            {
                usages.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        }

        if (policy.DnsNames.Count + policy.Emails.Count + policy.UserPrincipalNames.Count + policy.IpAddresses.Count + policy.Uris.Count > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var dns in policy.DnsNames)
            {
                names.AddDnsName(dns);
            }

            foreach (var email in policy.Emails)
            {
                names.AddEmailAddress(email);
            }

            foreach (var upn in policy.UserPrincipalNames)
            {
                names.AddUserPrincipalName(upn);
            }

            foreach (var ip in policy.IpAddresses)
            {
                names.AddIpAddress(IPAddress.Parse(ip));
            }

            foreach (var uri in policy.Uris)
            {
                names.AddUri(new Uri(uri, UriKind.Absolute));
            }

            // Critical when there is no subject (RFC 5280, section 4.2.1.6).
            request.CertificateExtensions.Add(names.Build(critical: policy.Subject is null));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request;
    }

    /// <summary>Signs the request as issuer <paramref name="issuer"/> with a random positive 128-bit serial number.</summary>
    public static X509Certificate2 Sign(CertificateRequest request, X500DistinguishedName issuer, X509SignatureGenerator generator, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return request.Create(issuer, generator, notBefore, notAfter, serial);
    }

    /// <summary>The managed secret: base64 PKCS#12 or PEM, holding the private key only when exportable.</summary>
    public static byte[] SecretValue(string contentType, X509Certificate2 leaf, IReadOnlyList<byte[]> chain, KeyAttributes key, ReadOnlySpan<byte> exportablePkcs8)
    {
        var chainCertificates = chain.Select(X509CertificateLoader.LoadCertificate).ToList();
        try
        {
            if (contentType == CertificateContentType.Pem.Value)
            {
                var pem = new StringBuilder();
                if (!exportablePkcs8.IsEmpty)
                {
                    pem.Append(PemEncoding.Write("PRIVATE KEY", exportablePkcs8)).Append('\n');
                }

                pem.Append(leaf.ExportCertificatePem()).Append('\n');
                foreach (var certificate in chainCertificates)
                {
                    pem.Append(certificate.ExportCertificatePem()).Append('\n');
                }

                return Encoding.UTF8.GetBytes(pem.ToString());
            }

            using var withKey = exportablePkcs8.IsEmpty ? null : WithPrivateKey(leaf, key, exportablePkcs8);
            var collection = new X509Certificate2Collection(withKey ?? leaf);
            collection.AddRange(chainCertificates.ToArray());
            var pfx = collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null);
            try
            {
                var base64 = new byte[Base64.GetMaxEncodedToUtf8Length(pfx.Length)];
                Base64.EncodeToUtf8(pfx, base64, out _, out var written);
                return base64[..written];
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pfx);
            }
        }
        finally
        {
            foreach (var certificate in chainCertificates)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>The certificate with its (software, exportable) private key attached.</summary>
    public static X509Certificate2 WithPrivateKey(X509Certificate2 certificate, KeyAttributes key, ReadOnlySpan<byte> pkcs8)
    {
        if (KeyTypes.Family(key.KeyType) == KeyType.Rsa)
        {
            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return certificate.CopyWithPrivateKey(rsa);
        }

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return certificate.CopyWithPrivateKey(ecdsa);
    }

    /// <summary>Whether the certificate's public key is the key's (SubjectPublicKeyInfo compared byte for byte).</summary>
    public static bool Matches(X509Certificate2 certificate, KeyAttributes key)
    {
        using var adapter = KeyTypes.Family(key.KeyType) == KeyType.Rsa
            ? (AsymmetricAlgorithm)KeyFactory.PublicJwk(key, null).ToRSA()
            : KeyFactory.PublicJwk(key, null).ToECDsa();
        return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(adapter.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Whether <paramref name="certificate"/> may sign certificates: basic constraints CA, and keyCertSign when key usage is present.</summary>
    public static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true }
        && (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is not { } usage || (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0);
}
