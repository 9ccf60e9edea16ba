using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// The in-process CA: finds the CA certificate behind a registered issuer and its managed key, and checks that both may
/// sign now, by the same rules any use of a key follows (the key enabled, <c>sign</c> in its key_ops, inside its
/// validity dates), before the key is loaded.
/// </summary>
internal sealed class CertificateAuthorities
{
    private const ObjectType Type = ObjectType.Certificate;
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly CertificateModels _models;
    private readonly CertificateIssuers _issuers;

    public CertificateAuthorities(VaultCore core, ObjectLifecycle lifecycle, CertificateModels models, CertificateIssuers issuers)
    {
        _core = core;
        _lifecycle = lifecycle;
        _models = models;
        _issuers = issuers;
    }

    /// <summary>The CA certificate behind a registered issuer, with its key, checked fit to sign now.</summary>
    public async ValueTask<Authority> LoadAsync(string issuerName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var issuer = await _issuers.ReadAsync(issuerName, cancellationToken).ConfigureAwait(false)
            ?? throw VaultErrors.BadParameter($"CertificatePolicy.IssuerName '{issuerName}' is not an issuer registered in this vault.");
        if (!issuer.Enabled)
        {
            throw new VaultException(VaultErrorCode.Forbidden, 403, $"Certificate issuer '{issuer.Name}' is disabled.");
        }

        if (!CertificateIssuers.IsVault(issuer.Provider) || issuer.CertificateName is null)
        {
            throw VaultErrors.BadParameter(
                $"Certificate issuer '{issuer.Name}' is of provider '{issuer.Provider}', a CA outside this vault, which it does not reach: name issuer '{WellKnownIssuerNames.Unknown}' in the policy, have the CA sign the operation's CSR, and merge its certificate.");
        }

        // Issuing signs with the CA's managed key: the caller needs the right to sign with it, as a Sign call would.
        _core.Access.Authorize(Operations.VaultOperation.KeySign, ObjectType.Key, issuer.CertificateName);
        var found = await _lifecycle.GetCurrentAsync(Type, issuer.CertificateName, cancellationToken).ConfigureAwait(false);
        if (!found.Attributes.Enabled)
        {
            throw VaultErrors.Disabled(Type, found.Name, "sign as issuer");
        }

        var keyVersion = await _lifecycle.GetVersionAsync(ObjectType.Key, found.Name, found.Version, cancellationToken).ConfigureAwait(false);
        var keyAttributes = keyVersion.Attributes.Key ?? throw VaultErrors.Integrity(ObjectType.Key, found.Name, found.Version);
        CheckKeyMaySign(keyVersion, keyAttributes, now);

        var certificate = _models.LoadCertificate(found);
        try
        {
            if (now < certificate.NotBefore.ToUniversalTime() || now >= certificate.NotAfter.ToUniversalTime())
            {
                throw VaultErrors.BadParameter($"The CA certificate '{found.Name}' of issuer '{issuer.Name}' is not valid now (valid {certificate.NotBefore:u} to {certificate.NotAfter:u}).");
            }

            if (!CertificateIssuance.IsAuthority(certificate))
            {
                throw VaultErrors.BadParameter($"Certificate '{found.Name}' of issuer '{issuer.Name}' is not a CA: it needs basic constraints CA and key usage keyCertSign.");
            }

            var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(keyVersion), pinned: true);
            try
            {
                _lifecycle.Unseal(keyVersion, payload);
                var crypto = KeyMaker.Load(_core, keyAttributes, payload);
                return new Authority(certificate, crypto, CertificateIssuance.Adapter(crypto, keyAttributes), CertificateIssuance.Hash(keyAttributes), CertificateModels.Chain(found));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(payload);
            }
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>Azure's rules for using a key, applied to the CA's key for signing.</summary>
    private static void CheckKeyMaySign(ObjectVersion key, KeyAttributes attributes, DateTimeOffset now)
    {
        const string operation = "sign";
        if (!key.Attributes.Enabled)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.KeyDisabled, key.Name, operation, "the CA's key is disabled");
        }

        if ((KeyOperationNames.Parse(attributes.Operations) & KeyOperations.Sign) == 0)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.OperationNotPermitted, key.Name, operation, "the CA's key_ops do not include sign");
        }

        if (RecordAttributes.FromUnix(key.Attributes.NotBefore) is { } notBefore && now < notBefore)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.KeyNotYetValid, key.Name, operation, $"the CA's key is not valid before {notBefore:u}");
        }

        if (RecordAttributes.FromUnix(key.Attributes.ExpiresOn) is { } expiresOn && now > expiresOn)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.KeyExpired, key.Name, operation, $"the CA's key expired on {expiresOn:u}");
        }
    }

    /// <summary>A CA certificate of this vault and its key, ready to sign.</summary>
    internal sealed class Authority(X509Certificate2 certificate, CryptoKey crypto, AsymmetricAlgorithm key, HashAlgorithmName hash, IReadOnlyList<byte[]> chain) : IDisposable
    {
        public X509Certificate2 Certificate { get; } = certificate;

        public AsymmetricAlgorithm Key { get; } = key;

        public HashAlgorithmName Hash { get; } = hash;

        public IReadOnlyList<byte[]> Chain { get; } = chain;

        public void Dispose()
        {
            Key.Dispose();
            crypto.Dispose();
            Certificate.Dispose();
        }
    }
}
