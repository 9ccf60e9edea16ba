using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// <see cref="ICertificateStore"/> over the shared lifecycle: each call runs through the operation pipeline under its
/// Azure name and hands the work to the part that does it: <see cref="CertificateVersions"/> (create, issue, merge,
/// import), <see cref="CertificateIssuers"/>, <see cref="CertificateContacts"/>, <see cref="CertificateLifetime"/>
/// and <see cref="CertificateModels"/>. A pending operation is an object of its own type holding the pending key and
/// CSR, so the certificate's current version never moves while it waits.
/// </summary>
internal sealed partial class CertificateStore : ICertificateStore
{
    private const ObjectType Type = ObjectType.Certificate;
    private const ObjectType Pending = ObjectType.CertificateOperation;
    private static readonly ObjectType[] WithManaged = [Type, ObjectType.Key, ObjectType.Secret];
    private static readonly ObjectType[] Managed = [ObjectType.Key, ObjectType.Secret];

    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly ObjectStoreOperations _shared;
    private readonly CertificateModels _models;
    private readonly CertificateIssuers _issuers;
    private readonly CertificateContacts _contacts;
    private readonly CertificateVersions _versions;
    private readonly CertificateLifetime _lifetime;

    public CertificateStore(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
        _shared = new ObjectStoreOperations(core, Type, lifecycle, operations, ObjectAccess.Certificate, Managed);
        _models = new CertificateModels(core, lifecycle);
        _issuers = new CertificateIssuers(core, lifecycle, _models);
        _contacts = new CertificateContacts(core);
        _versions = new CertificateVersions(core, lifecycle, _models, _issuers, new CertificateAuthorities(core, lifecycle, _models, _issuers));
        _lifetime = new CertificateLifetime(core, lifecycle, _models, _versions, _contacts);
    }

    public Uri VaultUri => _core.Uri;

    internal TimeProvider Clock => _core.Time;

    public async Task<CertificateOperation> StartCreateCertificateAsync(string certificateName, CertificatePolicy policy, bool? enabled = null, IDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var tagCopy = tags is null ? null : new Dictionary<string, string>(tags, StringComparer.Ordinal);
        return ToOperation(await Run(VaultOperation.CertificateCreate, certificateName, (this, certificateName, policy, enabled, tagCopy, cancellationToken),
            static s => s.Item1._versions.CreateAsync(s.certificateName, s.policy, s.enabled, s.tagCopy, s.cancellationToken), cancellationToken).ConfigureAwait(false));
    }

    public Task<KeyVaultCertificateWithPolicy> GetCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateGet, certificateName, (this, certificateName, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return await self.PendingOnlyAsync(s.certificateName, s.cancellationToken).ConfigureAwait(false) is { } pending
                ? self._models.ToPendingCertificate(pending)
                : self._models.ToCertificateWithPolicy(await self._lifecycle.GetCurrentAsync(Type, s.certificateName, s.cancellationToken).ConfigureAwait(false));
        }, cancellationToken);

    /// <summary>
    /// The pending operation of a certificate whose first version is not issued yet, or null. Azure serves that
    /// version as the certificate (disabled, without its bytes) until it is issued, and its SDKs read it so: the
    /// JavaScript SDK's operation poller gets the certificate before and after polling the operation.
    /// </summary>
    private async ValueTask<ObjectVersion?> PendingOnlyAsync(string name, CancellationToken cancellationToken)
    {
        if (!IsPendingName(name))
        {
            return null;
        }

        try
        {
            return await _lifecycle.GetCurrentAsync(Pending, name, cancellationToken).ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException)
        {
            return null; // soft-deleted: the name holds no active certificate
        }
    }

    public Task<KeyVaultCertificate> GetCertificateVersionAsync(string certificateName, string version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Run(VaultOperation.CertificateGet, certificateName, (this, certificateName, version, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return await self.PendingOnlyAsync(s.certificateName, s.cancellationToken).ConfigureAwait(false) is { } pending
                && string.Equals(pending.Version, s.version, StringComparison.OrdinalIgnoreCase)
                ? self._models.ToPendingCertificate(pending)
                : self._models.ToCertificate(await self._lifecycle.GetVersionAsync(Type, s.certificateName, s.version, s.cancellationToken).ConfigureAwait(false));
        }, cancellationToken);
    }

    public Task<KeyVaultCertificateWithPolicy> ImportCertificateAsync(ImportCertificateOptions importCertificateOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(importCertificateOptions);
        return Run(VaultOperation.CertificateImport, importCertificateOptions.Name, (this, importCertificateOptions, cancellationToken), static s => s.Item1._versions.ImportAsync(s.importCertificateOptions, s.cancellationToken), cancellationToken);
    }

    public Task<KeyVaultCertificateWithPolicy> MergeCertificateAsync(MergeCertificateOptions mergeCertificateOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mergeCertificateOptions);
        return Run(VaultOperation.CertificatePendingMerge, mergeCertificateOptions.Name, (this, mergeCertificateOptions, cancellationToken), static s => s.Item1._versions.MergeAsync(s.mergeCertificateOptions, s.cancellationToken), cancellationToken);
    }

    public Task<KeyVaultCertificate> UpdateCertificatePropertiesAsync(CertificateProperties properties, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return Run(VaultOperation.CertificateUpdate, properties.Name, (this, properties, cancellationToken), static s => s.Item1.UpdatePropertiesAsync(s.properties, s.cancellationToken), cancellationToken);
    }

    public Task<CertificatePolicy> GetCertificatePolicyAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificatePolicyGet, certificateName, (this, certificateName, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return await self.PendingOnlyAsync(s.certificateName, s.cancellationToken).ConfigureAwait(false) is { } pending
                ? self._models.ToPendingCertificate(pending).Policy
                : CertificatePolicies.ToPublic(CertificateModels.ReadPolicy(await self._lifecycle.GetCurrentAsync(Type, s.certificateName, s.cancellationToken).ConfigureAwait(false)));
        }, cancellationToken);

    public Task<CertificatePolicy> UpdateCertificatePolicyAsync(string certificateName, CertificatePolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Run(VaultOperation.CertificatePolicySet, certificateName, (this, certificateName, policy, cancellationToken), static async s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            var now = self._core.Time.GetUtcNow();
            var issuers = await self._issuers.NamesAsync(s.cancellationToken).ConfigureAwait(false);
            return await self._core.Writer.WriteAsync(async tx =>
            {
                StoredCertificatePolicy? stored = null;
                await self._lifecycle.UpdatePolicyAsync(tx, Type, s.certificateName, obj =>
                {
                    stored = CertificatePolicies.Resolve(s.policy, now, obj.Policy is null ? null : CertificatePolicies.Read(obj.Policy), issuers.Contains);
                    return CertificatePolicies.Write(stored);
                }, ObjectAccess.Certificate, s.cancellationToken).ConfigureAwait(false);
                return CertificatePolicies.ToPublic(stored!);
            }, s.cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificatesAsync(bool includePending = false, CancellationToken cancellationToken = default) =>
        includePending ? ListWithPendingAsync(cancellationToken) : _shared.ListAsync(_models.ToProperties, cancellationToken);

    public IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificateVersionsAsync(string certificateName, CancellationToken cancellationToken = default) =>
        IsPendingOnly(certificateName)
            ? ListPendingVersionAsync(certificateName, cancellationToken)
            : _shared.ListVersionsAsync(certificateName, _models.ToProperties, cancellationToken);

    /// <summary>Whether a name holds only a pending request; a null name (against the annotations) does not, and goes where its operation refuses it.</summary>
    private bool IsPendingOnly(string name) =>
        name is not null && _core.Manifest.TryGetObject(Pending, name, out _) && !_core.Manifest.TryGetObject(Type, name, out _);

    /// <summary>The one version of a certificate whose first version is still pending (see <see cref="PendingOnlyAsync"/>).</summary>
    private async IAsyncEnumerable<CertificateProperties> ListPendingVersionAsync(string certificateName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listed = await Run(VaultOperation.For(Type, VaultOperation.Lifecycle.ListVersions), certificateName, (this, certificateName, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var self = s.Item1;
            return await self.PendingOnlyAsync(s.certificateName, s.cancellationToken).ConfigureAwait(false) is { } pending
                ? [self._models.ToPendingCertificate(pending).Properties]
                : (await self._lifecycle.ListVersionsAsync(Type, s.certificateName, s.cancellationToken).ConfigureAwait(false)).Select(self._models.ToProperties).ToList();
        }, cancellationToken).ConfigureAwait(false);
        foreach (var properties in listed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return properties;
        }
    }

    public Task<byte[]> BackupCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        _shared.BackupAsync(VaultOperation.CertificateBackup, certificateName, cancellationToken);

    public Task<KeyVaultCertificateWithPolicy> RestoreCertificateBackupAsync(byte[] backup, CancellationToken cancellationToken = default) =>
        _shared.RestoreAsync(VaultOperation.CertificateRestore, backup, _models.ToCertificateWithPolicy, cancellationToken);

    public Task<X509Certificate2> DownloadCertificateAsync(string certificateName, string? version, CancellationToken cancellationToken) =>
        DownloadCertificateAsync(certificateName, version, null, cancellationToken);

    // The result is the same X509Certificate2 whatever format Azure's service would read the secret in.
    // An output format other than Azure's two is refused, as GetSecretAsync refuses it.
    public Task<X509Certificate2> DownloadCertificateAsync(string certificateName, string? version = null, CertificateContentType? outContentType = null, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateDownload, certificateName, (this, certificateName, version, outContentType, cancellationToken), static s =>
            s.outContentType is { } wanted && wanted != CertificateContentType.Pkcs12 && wanted != CertificateContentType.Pem
                ? throw VaultErrors.BadParameter($"The output content type '{wanted}' is not supported: use {CertificateContentType.Pkcs12} or {CertificateContentType.Pem}.")
                : s.Item1.DownloadAsync(s.certificateName, s.version, s.cancellationToken), cancellationToken);

    public Task<X509Certificate2> DownloadCertificateAsync(DownloadCertificateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        const X509KeyStorageFlags Accepted = X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable;
        if ((options.KeyStorageFlags & ~Accepted) != 0)
        {
            throw VaultErrors.BadParameter($"DownloadCertificateOptions.KeyStorageFlags '{options.KeyStorageFlags}' is not supported: the key is returned in memory (DefaultKeySet, EphemeralKeySet, Exportable).");
        }

        return DownloadCertificateAsync(options.CertificateName, options.Version, options.OutContentType, cancellationToken);
    }

    public Task<AsymmetricAlgorithm> GetCertificateKeyAsync(string certificateName, string? version = null, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateGetKey, certificateName, (this, certificateName, version, cancellationToken), static s => s.Item1.KeyOfAsync(s.certificateName, s.version, s.cancellationToken), cancellationToken);

    public Task<IList<CertificateContact>> SetContactsAsync(IEnumerable<CertificateContact> contacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var list = contacts.ToList();
        return Run(VaultOperation.CertificateContactsSet, null, (this, list, cancellationToken), static s =>
        {
            var stored = CertificateContacts.Validate(s.list);
            return s.Item1._core.Writer.WriteAsync(tx =>
            {
                CertificateContacts.Put(tx, stored);
                return ValueTask.FromResult(CertificateContacts.ToPublic(stored));
            }, s.cancellationToken);
        }, cancellationToken);
    }

    public Task<IList<CertificateContact>> GetContactsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateContactsGet, null, (this, cancellationToken), static async s =>
            await s.Item1._contacts.ReadAsync(s.cancellationToken).ConfigureAwait(false) is { Count: > 0 } contacts
                ? CertificateContacts.ToPublic(contacts)
                : throw VaultErrors.ContactsNotFound(), cancellationToken);

    public Task<IList<CertificateContact>> DeleteContactsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateContactsDelete, null, (this, cancellationToken), static async s =>
        {
            var contacts = CertificateContacts.ToPublic(await s.Item1._contacts.ReadAsync(s.cancellationToken).ConfigureAwait(false));
            return await s.Item1._core.Writer.WriteAsync(tx =>
            {
                CertificateContacts.Delete(tx);
                return ValueTask.FromResult(contacts);
            }, s.cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<CertificateIssuer> CreateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return Run(VaultOperation.CertificateIssuerSet, null, (this, issuer, cancellationToken), static s => s.Item1._issuers.PutAsync(s.issuer, creating: true, s.cancellationToken), cancellationToken);
    }

    public Task<CertificateIssuer> GetIssuerAsync(string issuerName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateIssuerGet, null, (this, issuerName, cancellationToken), static async s =>
            s.Item1._issuers.ToPublic(await s.Item1._issuers.ReadAsync(CertificateIssuers.ValidateName(s.issuerName), s.cancellationToken).ConfigureAwait(false) ?? throw VaultErrors.IssuerNotFound(s.issuerName)), cancellationToken);

    public Task<CertificateIssuer> UpdateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return Run(VaultOperation.CertificateIssuerUpdate, null, (this, issuer, cancellationToken), static s => s.Item1._issuers.PutAsync(s.issuer, creating: false, s.cancellationToken), cancellationToken);
    }

    public Task<CertificateIssuer> DeleteIssuerAsync(string issuerName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateIssuerDelete, null, (this, issuerName, cancellationToken), static s => s.Item1._issuers.DeleteAsync(s.issuerName, s.cancellationToken), cancellationToken);

    public async IAsyncEnumerable<IssuerProperties> GetPropertiesOfIssuersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var issuers = await Run(VaultOperation.CertificateIssuerList, null, (this, cancellationToken), static async s =>
            (await s.Item1._issuers.ListAsync(s.cancellationToken).ConfigureAwait(false)).Select(s.Item1._issuers.ToProperties).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var issuer in issuers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return issuer;
        }
    }

    public Task<CertificateLifetimeActionResults> ApplyLifetimeActionsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateLifetimeActionsApply, null, (this, cancellationToken), static s => s.Item1._lifetime.ApplyAsync(s.cancellationToken), cancellationToken);

    private CertificateOperation ToOperation(OperationState state) => new(this, _core.Time, state);

    // Certificates with a version, then names whose only state is a pending creation (Azure's includePending), read in
    // one operation.
    private async IAsyncEnumerable<CertificateProperties> ListWithPendingAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listed = await Run(VaultOperation.For(Type, VaultOperation.Lifecycle.List), null, (this, cancellationToken), static async s =>
        {
            var self = s.Item1;
            var certificates = (await self._lifecycle.ListCurrentAsync(Type, s.cancellationToken).ConfigureAwait(false)).Select(self._models.ToProperties).ToList();
            var names = certificates.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var pending in await self._lifecycle.ListCurrentAsync(Pending, s.cancellationToken).ConfigureAwait(false))
            {
                if (names.Add(pending.Name))
                {
                    var properties = new CertificateProperties(pending.Name);
                    properties.FillPending(self._core.Uri);
                    certificates.Add(properties);
                }
            }

            return certificates;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var properties in listed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return properties;
        }
    }

    private Task<T> Run<TState, T>(string operation, string? name, TState state, Func<TState, ValueTask<T>> body, CancellationToken cancellationToken) =>
        _operations.RunAsync(operation, Type, name, state, body, cancellationToken).AsTask();

    private async ValueTask<KeyVaultCertificate> UpdatePropertiesAsync(CertificateProperties properties, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, properties.Name);
        ObjectRules.ValidateTags(properties.TagsOrNull);
        var updated = await _core.Writer.WriteAsync(tx => _lifecycle.UpdateAttributesAsync(tx, WithManaged, properties.Name, properties.Version, (type, current) =>
        {
            if ((properties.NotBefore is { } notBefore && RecordAttributes.ToUnix(notBefore) != current.NotBefore)
                || (properties.ExpiresOn is { } expiresOn && RecordAttributes.ToUnix(expiresOn) != current.ExpiresOn))
            {
                throw VaultErrors.BadParameter("CertificateProperties.NotBefore and ExpiresOn come from the certificate and cannot be changed: only Enabled and Tags can.");
            }

            return properties.ApplyTo(current);
        }, ObjectAccess.Certificate, properties.Revision, cancellationToken), cancellationToken).ConfigureAwait(false);
        properties.Revision = updated[0].Stored.Revision;
        return _models.ToCertificate(updated[0]);
    }

    private async ValueTask<X509Certificate2> DownloadAsync(string name, string? version, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, name);
        var found = version is null
            ? await _lifecycle.GetCurrentAsync(Type, name, cancellationToken).ConfigureAwait(false)
            : await _lifecycle.GetVersionAsync(Type, name, version, cancellationToken).ConfigureAwait(false);
        var key = await _lifecycle.GetVersionAsync(ObjectType.Key, name, found.Version, cancellationToken).ConfigureAwait(false);
        var keyAttributes = key.Attributes.Key ?? throw VaultErrors.Integrity(ObjectType.Key, name, found.Version);
        var certificate = _models.LoadCertificate(found);
        if (!found.Attributes.Enabled)
        {
            certificate.Dispose();
            throw VaultErrors.Disabled(Type, found.Name, "download");
        }

        if (KeyTypes.IsHsm(keyAttributes.KeyType) && _core.Root is IHardwareKeys hardware)
        {
            // The token key handed out works in the token without coming back through the vault: the caller must be
            // allowed every private-key use of the managed key, not only to read the certificate's secret.
            _core.Access.Authorize(VaultOperation.KeySign, ObjectType.Key, found.Name);
            _core.Access.Authorize(VaultOperation.KeyDecrypt, ObjectType.Key, found.Name);
            using (certificate)
            {
                using var native = hardware.OpenNativeKey(keyAttributes);
                return native is RSA rsa ? certificate.CopyWithPrivateKey(rsa) : certificate.CopyWithPrivateKey((ECDsa)native);
            }
        }

        if (found.Attributes.Certificate?.Exportable != true)
        {
            return certificate;
        }

        using (certificate)
        {
            var pkcs8 = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(key), pinned: true);
            try
            {
                _lifecycle.Unseal(key, pkcs8);
                return CertificateIssuance.WithPrivateKey(certificate, keyAttributes, pkcs8);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
    }

    private async ValueTask<AsymmetricAlgorithm> KeyOfAsync(string name, string? version, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, name);
        var found = version is null
            ? await _lifecycle.GetCurrentAsync(Type, name, cancellationToken).ConfigureAwait(false)
            : await _lifecycle.GetVersionAsync(Type, name, version, cancellationToken).ConfigureAwait(false);
        var attributes = (await _lifecycle.GetVersionAsync(ObjectType.Key, name, found.Version, cancellationToken).ConfigureAwait(false)).Attributes.Key
            ?? throw VaultErrors.Integrity(ObjectType.Key, name, found.Version);
        var client = new CryptographyClient(new VaultKeyBinding(_core, _lifecycle, _operations, name, found.Version));
        return CertificateIssuance.Adapter(attributes, (algorithm, digest) => client.Sign(algorithm, digest).Signature, (algorithm, data) => client.Decrypt(algorithm, data).Plaintext, client);
    }
}
