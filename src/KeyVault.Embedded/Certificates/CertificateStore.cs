using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// <see cref="ICertificateStore"/> over the shared lifecycle. A certificate version is three versions of the same id,
/// written in one transaction: the certificate (DER), its managed key (sealed like any key) and its managed secret (PFX
/// or PEM). A pending operation is an object of its own type holding the pending key and CSR, so the certificate's
/// current version never moves while it waits. Issuers and contacts are vault settings.
/// </summary>
internal sealed class CertificateStore : ICertificateStore
{
    private const ObjectType Type = ObjectType.Certificate;
    private const ObjectType Pending = ObjectType.CertificateOperation;
    private const string ContactsSetting = "certificates/contacts";
    private const string IssuerSettingPrefix = "certificates/issuers/";
    private static readonly ObjectType[] WithManaged = [Type, ObjectType.Key, ObjectType.Secret];

    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly ObjectStoreOperations _shared;
    private readonly VaultSettings _settings;

    public CertificateStore(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
        _shared = new ObjectStoreOperations(Type, lifecycle, operations, ObjectAccess.Certificate, ObjectType.Key, ObjectType.Secret);
        _settings = new VaultSettings(core);
    }

    public Task<CertificateOperation> StartCreateCertificateAsync(string certificateName, CertificatePolicy policy, bool? enabled = null, IDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var tagCopy = tags is null ? null : new Dictionary<string, string>(tags, StringComparer.Ordinal);
        return Run(VaultOperation.CertificateCreate, certificateName, (this, certificateName, policy, enabled, tagCopy),
            static s => s.Item1.Create(s.certificateName, s.policy, s.enabled, s.tagCopy), cancellationToken);
    }

    public Task<KeyVaultCertificateWithPolicy> GetCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateGet, certificateName, (this, certificateName), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            return s.Item1.ToCertificateWithPolicy(s.Item1._lifecycle.GetCurrent(Type, s.certificateName));
        }, cancellationToken);

    public Task<KeyVaultCertificate> GetCertificateVersionAsync(string certificateName, string version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Run(VaultOperation.CertificateGet, certificateName, (this, certificateName, version), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            return s.Item1.ToCertificate(s.Item1._lifecycle.GetVersion(Type, s.certificateName, s.version));
        }, cancellationToken);
    }

    public Task<KeyVaultCertificateWithPolicy> ImportCertificateAsync(ImportCertificateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(VaultOperation.CertificateImport, options.Name, (this, options), static s => s.Item1.Import(s.options), cancellationToken);
    }

    public Task<KeyVaultCertificateWithPolicy> MergeCertificateAsync(MergeCertificateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(VaultOperation.CertificatePendingMerge, options.Name, (this, options), static s => s.Item1.Merge(s.options), cancellationToken);
    }

    public Task<CertificateOperation> GetCertificateOperationAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificatePendingGet, certificateName, (this, certificateName), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            if (self._lifecycle.FindObject(Pending, s.certificateName) is not null)
            {
                return self.ToOperation(self._lifecycle.GetCurrent(Pending, s.certificateName));
            }

            var current = self.ToCertificateWithPolicy(self._lifecycle.GetCurrent(Type, s.certificateName));
            return new CertificateOperation(current.Name, current.Policy.IssuerName, CertificateOperation.Completed, null, false, current);
        }, cancellationToken);

    public Task<CertificateOperation> CancelCertificateOperationAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificatePendingUpdate, certificateName, (this, certificateName), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var updated = s.Item1._lifecycle.UpdateAttributes([Pending], s.certificateName, null, (_, current) =>
                current with { Certificate = current.Certificate! with { Status = CertificateOperation.Cancelled } }, ObjectAccess.Certificate)[0];
            return s.Item1.ToOperation(updated);
        }, cancellationToken);

    public Task<CertificateOperation> DeleteCertificateOperationAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificatePendingDelete, certificateName, (this, certificateName), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            var operation = s.Item1.ToOperation(s.Item1._lifecycle.GetCurrent(Pending, s.certificateName));
            s.Item1._lifecycle.Remove(Pending, s.certificateName);
            return operation;
        }, cancellationToken);

    public Task<KeyVaultCertificate> UpdateCertificatePropertiesAsync(CertificateProperties properties, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return Run(VaultOperation.CertificateUpdate, properties.Name, (this, properties), static s => s.Item1.UpdateProperties(s.properties), cancellationToken);
    }

    public Task<CertificatePolicy> GetCertificatePolicyAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificatePolicyGet, certificateName, (this, certificateName), static s =>
        {
            ObjectRules.ValidateName(Type, s.certificateName);
            return CertificatePolicies.ToPublic(ReadPolicy(s.Item1._lifecycle.GetCurrent(Type, s.certificateName)));
        }, cancellationToken);

    public Task<CertificatePolicy> UpdateCertificatePolicyAsync(string certificateName, CertificatePolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Run(VaultOperation.CertificatePolicySet, certificateName, (this, certificateName, policy), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            var now = self._core.Time.GetUtcNow();
            StoredCertificatePolicy? stored = null;
            self._lifecycle.UpdatePolicy(Type, s.certificateName, obj =>
            {
                stored = CertificatePolicies.Resolve(s.policy, now, obj.Policy is null ? null : CertificatePolicies.Read(obj.Policy), self.IssuerExists);
                return CertificatePolicies.Write(stored);
            }, ObjectAccess.Certificate);
            return CertificatePolicies.ToPublic(stored!);
        }, cancellationToken);
    }

    public IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificatesAsync(CancellationToken cancellationToken = default) =>
        _shared.ListAsync(ToProperties, cancellationToken);

    public IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificateVersionsAsync(string certificateName, CancellationToken cancellationToken = default) =>
        _shared.ListVersionsAsync(certificateName, ToProperties, cancellationToken);

    public Task<DeletedCertificate> DeleteCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.For(Type, VaultOperation.Lifecycle.Delete), certificateName, (this, certificateName), static s =>
        {
            var self = s.Item1;
            ObjectRules.ValidateName(Type, s.certificateName);
            var deleted = self._lifecycle.Delete(Type, s.certificateName, ObjectAccess.Certificate, ObjectType.Key, ObjectType.Secret);

            // A pending operation has no soft-deleted state: it goes with its certificate, and its key with it.
            if (self._lifecycle.FindObject(Pending, s.certificateName) is not null)
            {
                self._lifecycle.Remove(Pending, s.certificateName);
            }

            return self.ToDeleted(deleted);
        }, cancellationToken);

    public Task<DeletedCertificate> GetDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        _shared.GetDeletedAsync(certificateName, ToDeleted, cancellationToken);

    public IAsyncEnumerable<DeletedCertificate> GetDeletedCertificatesAsync(CancellationToken cancellationToken = default) =>
        _shared.ListDeletedAsync(ToDeleted, cancellationToken);

    public Task<KeyVaultCertificateWithPolicy> RecoverDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        _shared.RecoverAsync(certificateName, ToCertificateWithPolicy, cancellationToken);

    public Task PurgeDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default) =>
        _shared.PurgeAsync(certificateName, cancellationToken);

    public Task<X509Certificate2> DownloadCertificateAsync(string certificateName, string? version = null, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateDownload, certificateName, (this, certificateName, version), static s => s.Item1.Download(s.certificateName, s.version), cancellationToken);

    public Task<AsymmetricAlgorithm> GetCertificateKeyAsync(string certificateName, string? version = null, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateGetKey, certificateName, (this, certificateName, version), static s => s.Item1.KeyOf(s.certificateName, s.version), cancellationToken);

    public Task<IList<CertificateContact>> SetContactsAsync(IEnumerable<CertificateContact> contacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var list = contacts.ToList();
        return Run(VaultOperation.CertificateContactsSet, null, (this, list), static s =>
        {
            var stored = new List<StoredContact>();
            foreach (var contact in s.list)
            {
                if (contact is null || string.IsNullOrWhiteSpace(contact.Email) || contact.Email.IndexOf('@') < 1)
                {
                    throw VaultErrors.BadParameter("CertificateContact.Email is required and must be an email address.");
                }

                stored.Add(new StoredContact(contact.Name, contact.Email, contact.Phone));
            }

            s.Item1._settings.Put(ContactsSetting, JsonSerializer.Serialize(stored, RecordJsonContext.Default.ListStoredContact));
            return ToContacts(stored);
        }, cancellationToken);
    }

    public Task<IList<CertificateContact>> GetContactsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateContactsGet, null, this, static self => ToContacts(self.ReadContacts()), cancellationToken);

    public Task<IList<CertificateContact>> DeleteContactsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateContactsDelete, null, this, static self =>
        {
            var contacts = ToContacts(self.ReadContacts());
            self._settings.Delete(ContactsSetting);
            return contacts;
        }, cancellationToken);

    public Task<CertificateIssuer> CreateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return Run(VaultOperation.CertificateIssuerSet, null, (this, issuer), static s => s.Item1.PutIssuer(s.issuer, creating: true), cancellationToken);
    }

    public Task<CertificateIssuer> GetIssuerAsync(string issuerName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateIssuerGet, null, (this, issuerName), static s =>
            ToIssuer(s.Item1.ReadIssuer(ValidateIssuerName(s.issuerName)) ?? throw VaultErrors.IssuerNotFound(s.issuerName)), cancellationToken);

    public Task<CertificateIssuer> UpdateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return Run(VaultOperation.CertificateIssuerUpdate, null, (this, issuer), static s => s.Item1.PutIssuer(s.issuer, creating: false), cancellationToken);
    }

    public Task<CertificateIssuer> DeleteIssuerAsync(string issuerName, CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateIssuerDelete, null, (this, issuerName), static s =>
        {
            var name = ValidateIssuerName(s.issuerName);
            var issuer = s.Item1.ReadIssuer(name) ?? throw VaultErrors.IssuerNotFound(name);
            s.Item1._settings.Delete(IssuerSetting(name));
            return ToIssuer(issuer);
        }, cancellationToken);

    public async IAsyncEnumerable<CertificateIssuer> GetIssuersAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var issuers = await Run(VaultOperation.CertificateIssuerList, null, this, static self =>
            self._settings.List(IssuerSettingPrefix).Select(s => ToIssuer(ParseIssuer(s.Value))).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var issuer in issuers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return issuer;
        }
    }

    public Task<CertificateLifetimeActionResults> ApplyLifetimeActionsAsync(CancellationToken cancellationToken = default) =>
        Run(VaultOperation.CertificateLifetimeActionsApply, null, this, static self => self.ApplyLifetimeActions(), cancellationToken);

    private Task<T> Run<TState, T>(string operation, string? name, TState state, Func<TState, T> body, CancellationToken cancellationToken) =>
        _operations.RunAsync(operation, Type, name, state, body, cancellationToken).AsTask();

    private CertificateOperation Create(string name, CertificatePolicy policy, bool? enabled, IReadOnlyDictionary<string, string>? tags)
    {
        ObjectRules.ValidateName(Type, name);
        ObjectRules.ValidateTags(tags);
        var existing = _lifecycle.FindObject(Type, name);
        var previous = existing is { IsDeleted: false, Policy: { } json } ? CertificatePolicies.Read(json) : null;
        var stored = CertificatePolicies.Resolve(policy, _core.Time.GetUtcNow(), previous, IssuerExists);
        PrepareName(name, existing);
        var attributes = new RecordAttributes { Enabled = enabled ?? stored.Enabled, Tags = tags is { Count: > 0 } ? tags : null };
        if (stored.Issuer == WellKnownIssuerNames.Unknown)
        {
            return ToOperation(StartPending(name, stored, attributes));
        }

        var created = Issue(name, stored, attributes, reuseFrom: null);
        return new CertificateOperation(name, stored.Issuer, CertificateOperation.Completed, null, false, created);
    }

    /// <summary>
    /// Refuses a name a certificate cannot take (a deleted certificate, a plain key or secret, an operation in
    /// progress), and clears a cancelled operation the new one replaces.
    /// </summary>
    private void PrepareName(string name, ObjectRecord? certificate)
    {
        if (certificate is { IsDeleted: true })
        {
            throw VaultErrors.DeletedButRecoverable(Type, certificate.Name);
        }

        foreach (var type in (ReadOnlySpan<ObjectType>)[ObjectType.Key, ObjectType.Secret])
        {
            if (_lifecycle.FindObject(type, name) is { ManagedBy: null })
            {
                throw VaultErrors.NameTakenByPlainObject(type, name);
            }
        }

        if (_lifecycle.FindObject(Pending, name) is not null)
        {
            var operation = _lifecycle.GetCurrent(Pending, name);
            if (operation.Attributes.Certificate?.Status != CertificateOperation.Cancelled)
            {
                throw VaultErrors.OperationPending(name);
            }

            _lifecycle.Remove(Pending, name);
        }
    }

    /// <summary>A new version signed by the policy's issuer (itself, or a CA certificate of this vault).</summary>
    private KeyVaultCertificateWithPolicy Issue(string name, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectVersion? reuseFrom)
    {
        var now = _core.Time.GetUtcNow();
        using var authority = policy.Issuer == WellKnownIssuerNames.Self ? null : LoadAuthority(policy.Issuer, now);
        var version = ObjectRules.NewVersion();
        return WithKey(name, version, policy, reuseFrom, key =>
        {
            using var crypto = KeyMaker.Load(_core, key.Attributes, key.Payload.Span);
            using var adapter = CertificateIssuance.Adapter(crypto, key.Attributes);
            var request = CertificateIssuance.Request(policy, adapter, authority?.Hash ?? CertificateIssuance.Hash(key.Attributes));
            var notBefore = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
            var notAfter = notBefore.AddMonths(policy.ValidityInMonths);

            X509Certificate2 certificate;
            IReadOnlyList<byte[]> chain;
            if (authority is null)
            {
                certificate = CertificateIssuance.Sign(request, request.SubjectName, CertificateIssuance.Generator(adapter), notBefore, notAfter);
                chain = [];
            }
            else
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
                var limit = new DateTimeOffset(authority.Certificate.NotAfter.ToUniversalTime());
                certificate = CertificateIssuance.Sign(request, authority.Certificate.SubjectName, CertificateIssuance.Generator(authority.Key), notBefore, notAfter < limit ? notAfter : limit);
                chain = [authority.Certificate.RawData, .. authority.Chain];
            }

            using (certificate)
            {
                return ToCertificateWithPolicy(WriteVersion(name, version, certificate, chain, key, policy, attributes, purgeWith: null));
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="use"/> with the policy's key for a new version. A key made for it in a token is destroyed
    /// again when the version is not written, so a failed create leaves nothing behind in the token either.
    /// </summary>
    private T WithKey<T>(string name, string version, StoredCertificatePolicy policy, ObjectVersion? reuseFrom, Func<NewKey, T> use)
    {
        using var key = NewKeyFor(name, version, policy, reuseFrom, out var generated);
        try
        {
            return use(key);
        }
        catch when (generated)
        {
            KeyMaker.Discard(_core, key.Attributes);
            throw;
        }
    }

    /// <summary>The policy's key: the current one again when the policy reuses keys and it still fits, otherwise a new one.</summary>
    private NewKey NewKeyFor(string name, string version, StoredCertificatePolicy policy, ObjectVersion? reuseFrom, out bool generated)
    {
        generated = false;
        if (policy.ReuseKey && reuseFrom is { } from)
        {
            var current = _lifecycle.GetVersion(ObjectType.Key, name, from.Version);
            var attributes = current.Attributes.Key!;
            if (attributes.KeyType == policy.KeyType && attributes.Size == policy.KeySize && attributes.Curve == policy.Curve)
            {
                var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(current), pinned: true);
                _lifecycle.Unseal(current, payload);
                return new NewKey(attributes, payload);
            }
        }

        var keyType = new KeyType(policy.KeyType);
        generated = true;
        return KeyMaker.Generate(_core, keyType, name, version, policy.KeySize, policy.Curve is null ? null : (KeyCurveName?)new KeyCurveName(policy.Curve), KeyTypes.Operations(KeyTypes.Family(keyType), null));
    }

    /// <summary>The CA certificate behind a registered issuer, with its key, checked fit to sign now.</summary>
    private Authority LoadAuthority(string issuerName, DateTimeOffset now)
    {
        var issuer = ReadIssuer(issuerName) ?? throw VaultErrors.BadParameter($"CertificatePolicy.IssuerName '{issuerName}' is not an issuer registered in this vault.");
        if (!issuer.Enabled)
        {
            throw new VaultException(VaultErrorCode.Forbidden, 403, $"Certificate issuer '{issuer.Name}' is disabled.");
        }

        var found = _lifecycle.GetCurrent(Type, issuer.CertificateName);
        if (!found.Attributes.Enabled)
        {
            throw VaultErrors.Disabled(Type, found.Name, "sign as issuer");
        }

        var certificate = LoadCertificate(found);
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

            var keyVersion = _lifecycle.GetVersion(ObjectType.Key, found.Name, found.Version);
            var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(keyVersion), pinned: true);
            try
            {
                _lifecycle.Unseal(keyVersion, payload);
                var crypto = KeyMaker.Load(_core, keyVersion.Attributes.Key!, payload);
                return new Authority(certificate, crypto, CertificateIssuance.Adapter(crypto, keyVersion.Attributes.Key!), CertificateIssuance.Hash(keyVersion.Attributes.Key!), Chain(found));
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

    private ObjectVersion StartPending(string name, StoredCertificatePolicy policy, RecordAttributes attributes)
    {
        var version = ObjectRules.NewVersion();
        return WithKey(name, version, policy, reuseFrom: null, key =>
        {
            using var crypto = KeyMaker.Load(_core, key.Attributes, key.Payload.Span);
            using var adapter = CertificateIssuance.Adapter(crypto, key.Attributes);
            var csr = CertificateIssuance.Request(policy, adapter, CertificateIssuance.Hash(key.Attributes)).CreateSigningRequest(CertificateIssuance.Generator(adapter));
            var pending = attributes with
            {
                Key = key.Attributes,
                Certificate = new CertificateAttributes
                {
                    Status = CertificateOperation.InProgress,
                    Issuer = policy.Issuer,
                    Csr = Convert.ToBase64String(csr),
                    Policy = CertificatePolicies.Write(policy),
                    Exportable = policy.Exportable,
                    ContentType = policy.ContentType,
                },
            };
            return _lifecycle.CreateVersions([new VersionWrite(Pending, name, pending, key.Payload)], version, ObjectAccess.Certificate)[0];
        });
    }

    private KeyVaultCertificateWithPolicy Merge(MergeCertificateOptions options)
    {
        ObjectRules.ValidateName(Type, options.Name);
        ObjectRules.ValidateTags(options.TagsOrNull);
        if (options.X509Certificates.Count == 0)
        {
            throw VaultErrors.BadParameter("MergeCertificateOptions.X509Certificates is empty: give the signed certificate, then its chain.");
        }

        var operation = _lifecycle.GetCurrent(Pending, options.Name);
        var state = operation.Attributes.Certificate!;
        if (state.Status != CertificateOperation.InProgress)
        {
            throw new VaultException(VaultErrorCode.Conflict, 409, $"The operation of certificate '{operation.Name}' is {state.Status}: only an operation in progress can be merged.");
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            for (var i = 0; i < options.X509Certificates.Count; i++)
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(options.X509Certificates[i]));
                }
                catch (CryptographicException ex)
                {
                    throw new VaultException(VaultErrorCode.BadParameter, 400, $"MergeCertificateOptions.X509Certificates[{i}] is not an X.509 certificate (DER or PEM).", ex);
                }
            }

            var keyAttributes = operation.Attributes.Key!;
            if (!CertificateIssuance.Matches(certificates[0], keyAttributes))
            {
                throw VaultErrors.BadParameter($"MergeCertificateOptions.X509Certificates[0]: its public key is not the key of the pending request of certificate '{operation.Name}'.");
            }

            var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(operation), pinned: true);
            using var key = new NewKey(keyAttributes, payload);
            _lifecycle.Unseal(operation, payload);
            var attributes = new RecordAttributes
            {
                Enabled = options.Enabled ?? operation.Attributes.Enabled,
                Tags = options.TagsOrNull is { Count: > 0 } tags ? new Dictionary<string, string>(tags, StringComparer.Ordinal) : operation.Attributes.Tags,
            };
            var chain = certificates.Skip(1).Select(c => c.RawData).ToList();
            var created = WriteVersion(operation.Name, operation.Version, certificates[0], chain, key, CertificatePolicies.Read(state.Policy!), attributes, purgeWith: operation.Object);
            return ToCertificateWithPolicy(created);
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private KeyVaultCertificateWithPolicy Import(ImportCertificateOptions options)
    {
        ObjectRules.ValidateName(Type, options.Name);
        ObjectRules.ValidateTags(options.TagsOrNull);
        using var imported = CertificateImport.Read(options.Certificate, options.Password, family => KeyTypes.Operations(family, null));
        var key = imported.Key.Attributes;
        var given = options.Policy;
        if (given is not null)
        {
            if (given.KeyType is { } kty && kty.Value != key.KeyType)
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.KeyType {kty} does not match the imported key ({key.KeyType}); imported keys are software keys.");
            }

            if ((given.KeySize is { } size && size != (key.Size ?? size)) || (given.KeyCurveName is { } curve && curve.Value != key.Curve))
            {
                throw VaultErrors.BadParameter("CertificatePolicy.KeySize or KeyCurveName does not match the imported key.");
            }
        }

        var policy = given ?? CertificatePolicies.Derive(imported.Leaf, key, imported.Pem);
        var existing = _lifecycle.FindObject(Type, options.Name);
        var previous = existing is { IsDeleted: false, Policy: { } json } ? CertificatePolicies.Read(json) : null;
        var stored = CertificatePolicies.Resolve(policy, _core.Time.GetUtcNow(), previous, IssuerExists) with
        {
            KeyType = key.KeyType,
            KeySize = key.Size,
            Curve = key.Curve,
        };
        PrepareName(options.Name, existing);
        var attributes = new RecordAttributes
        {
            Enabled = options.Enabled ?? stored.Enabled,
            Tags = options.TagsOrNull is { Count: > 0 } tags ? new Dictionary<string, string>(tags, StringComparer.Ordinal) : null,
        };
        return ToCertificateWithPolicy(WriteVersion(options.Name, ObjectRules.NewVersion(), imported.Leaf, imported.Chain, imported.Key, stored, attributes, purgeWith: null));
    }

    /// <summary>Writes a certificate version with its managed key and secret, and the policy, in one transaction.</summary>
    private ObjectVersion WriteVersion(string name, string version, X509Certificate2 certificate, IReadOnlyList<byte[]> chain, NewKey key, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectRecord? purgeWith)
    {
        var hsm = KeyTypes.IsHsm(key.Attributes.KeyType);
        var exportable = policy.Exportable && !hsm;
        var dated = attributes with
        {
            NotBefore = RecordAttributes.ToUnix(new DateTimeOffset(certificate.NotBefore.ToUniversalTime())),
            ExpiresOn = RecordAttributes.ToUnix(new DateTimeOffset(certificate.NotAfter.ToUniversalTime())),
        };
        var certificateAttributes = dated with
        {
            Certificate = new CertificateAttributes
            {
                Thumbprint = certificate.Thumbprint,
                Chain = chain.Count == 0 ? null : chain.Select(Convert.ToBase64String).ToList(),
                Exportable = exportable,
                ContentType = policy.ContentType,
                Issuer = policy.Issuer,
            },
        };
        var secret = CertificateIssuance.SecretValue(policy.ContentType, certificate, chain, key.Attributes, exportable ? key.Payload.Span : default);
        try
        {
            VersionWrite[] writes =
            [
                new(Type, name, certificateAttributes, certificate.RawData, CertificatePolicies.Write(policy)),
                new(ObjectType.Key, name, dated with { Key = key.Attributes }, key.Payload),
                new(ObjectType.Secret, name, dated with { ContentType = policy.ContentType }, secret),
            ];
            return _lifecycle.CreateVersions(writes, version, ObjectAccess.Certificate, purgeWith is null ? null : [purgeWith])[0];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private KeyVaultCertificate UpdateProperties(CertificateProperties properties)
    {
        ObjectRules.ValidateName(Type, properties.Name);
        ObjectRules.ValidateTags(properties.TagsOrNull);
        var updated = _lifecycle.UpdateAttributes(WithManaged, properties.Name, properties.Version, (type, current) =>
        {
            if ((properties.NotBefore is { } notBefore && RecordAttributes.ToUnix(notBefore) != current.NotBefore)
                || (properties.ExpiresOn is { } expiresOn && RecordAttributes.ToUnix(expiresOn) != current.ExpiresOn))
            {
                throw VaultErrors.BadParameter("CertificateProperties.NotBefore and ExpiresOn come from the certificate and cannot be changed: only Enabled and Tags can.");
            }

            return properties.ApplyTo(current);
        }, ObjectAccess.Certificate);
        return ToCertificate(updated[0]);
    }

    private X509Certificate2 Download(string name, string? version)
    {
        ObjectRules.ValidateName(Type, name);
        var found = version is null ? _lifecycle.GetCurrent(Type, name) : _lifecycle.GetVersion(Type, name, version);
        var certificate = LoadCertificate(found);
        if (!found.Attributes.Enabled)
        {
            certificate.Dispose();
            throw VaultErrors.Disabled(Type, found.Name, "download");
        }

        var key = _lifecycle.GetVersion(ObjectType.Key, name, found.Version);
        if (KeyTypes.IsHsm(key.Attributes.Key!.KeyType) && _core.Root is IHardwareKeys hardware)
        {
            using (certificate)
            {
                using var native = hardware.OpenNativeKey(key.Attributes.Key!);
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
                return CertificateIssuance.WithPrivateKey(certificate, key.Attributes.Key!, pkcs8);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
    }

    private AsymmetricAlgorithm KeyOf(string name, string? version)
    {
        ObjectRules.ValidateName(Type, name);
        var found = version is null ? _lifecycle.GetCurrent(Type, name) : _lifecycle.GetVersion(Type, name, version);
        var attributes = _lifecycle.GetVersion(ObjectType.Key, name, found.Version).Attributes.Key!;
        var client = new CryptographyClient(new VaultKeyBinding(_core, _lifecycle, _operations, name, found.Version));
        return CertificateIssuance.Adapter(attributes, (algorithm, digest) => client.Sign(algorithm, digest).Signature, (algorithm, data) => client.Decrypt(algorithm, data).Plaintext, client);
    }

    private CertificateLifetimeActionResults ApplyLifetimeActions()
    {
        var now = _core.Time.GetUtcNow();
        var renewed = new List<KeyVaultCertificateWithPolicy>();
        var nearExpiry = new List<CertificateProperties>();
        var failed = new Dictionary<string, VaultException>(StringComparer.Ordinal);
        foreach (var current in _lifecycle.ListCurrent(Type))
        {
            if (current.Object.Policy is not { } json || !current.Attributes.Enabled
                || current.Attributes.NotBefore is not { } notBefore || current.Attributes.ExpiresOn is not { } expiresOn)
            {
                continue;
            }

            var policy = CertificatePolicies.Read(json);
            if (policy.LifetimeActions.FirstOrDefault() is not { } action)
            {
                continue;
            }

            var due = action.LifetimePercentage is { } percent
                ? notBefore + ((expiresOn - notBefore) * percent / 100)
                : expiresOn - (action.DaysBeforeExpiry!.Value * 86_400L);
            if (now.ToUnixTimeSeconds() < due)
            {
                continue;
            }

            if (action.Action == CertificatePolicyAction.AutoRenew.Value)
            {
                if (_lifecycle.FindObject(Pending, current.Name) is not null)
                {
                    continue;
                }

                try
                {
                    // A version that was already due when it was made (its issuer's CA expires first) would be renewed
                    // on every evaluation: report it instead.
                    if (current.Attributes.Created >= due)
                    {
                        throw VaultErrors.BadParameter($"Certificate '{current.Name}' was due for renewal when its current version was made: its issuer's CA certificate expires too soon; renew the CA first.");
                    }

                    var next = Issue(current.Name, policy, new RecordAttributes { Tags = current.Attributes.Tags }, current);
                    renewed.Add(next);
                    _core.Events.Raise(Events.VaultEventType.Renewed, Type, next.Name, next.Properties.Version);
                }
                catch (VaultException ex) when (ex is not VaultIntegrityException)
                {
                    failed[current.Name] = ex;
                }
            }
            else if (policy.NotifiedVersion != current.Version)
            {
                // Remember the notified version, so each version is reported once.
                _lifecycle.UpdatePolicy(Type, current.Name, _ => CertificatePolicies.Write(policy with { NotifiedVersion = current.Version }), ObjectAccess.Certificate);
                nearExpiry.Add(ToProperties(current));
            }
        }

        return new CertificateLifetimeActionResults(renewed, nearExpiry, [.. ToContacts(ReadContacts())], failed);
    }

    private CertificateIssuer PutIssuer(CertificateIssuer issuer, bool creating)
    {
        var name = ValidateIssuerName(issuer.Name);
        var existing = ReadIssuer(name);
        if (!creating && existing is null)
        {
            throw VaultErrors.IssuerNotFound(name);
        }

        if (!string.Equals(issuer.Provider, CertificateIssuer.VaultCertificateProvider, StringComparison.OrdinalIgnoreCase))
        {
            throw VaultErrors.BadParameter($"CertificateIssuer.Provider '{issuer.Provider}' is not supported: an embedded vault issues with '{CertificateIssuer.VaultCertificateProvider}' (a CA certificate of this vault).");
        }

        var certificateName = issuer.CertificateName ?? existing?.CertificateName
            ?? throw VaultErrors.BadParameter("CertificateIssuer.CertificateName is required: the CA certificate of this vault that signs for the issuer.");
        ObjectRules.ValidateName(Type, certificateName);
        using (var authority = LoadCertificate(_lifecycle.GetCurrent(Type, certificateName)))
        {
            if (!CertificateIssuance.IsAuthority(authority))
            {
                throw VaultErrors.BadParameter($"CertificateIssuer.CertificateName '{certificateName}' is not a CA certificate: it needs basic constraints CA and key usage keyCertSign.");
            }
        }

        var now = _core.Time.GetUtcNow().ToUnixTimeSeconds();
        var stored = new StoredIssuer(existing?.Name ?? name, CertificateIssuer.VaultCertificateProvider, certificateName, issuer.Enabled ?? existing?.Enabled ?? true, existing?.Created ?? now, now);
        _settings.Put(IssuerSetting(name), JsonSerializer.Serialize(stored, RecordJsonContext.Default.StoredIssuer));
        return ToIssuer(stored);
    }

    private static string ValidateIssuerName(string? name)
    {
        ObjectRules.ValidateName(Type, name);
        if (string.Equals(name, WellKnownIssuerNames.Self, StringComparison.OrdinalIgnoreCase) || string.Equals(name, WellKnownIssuerNames.Unknown, StringComparison.OrdinalIgnoreCase))
        {
            throw VaultErrors.BadParameter($"CertificateIssuer.Name '{name}' is reserved.");
        }

        return name!;
    }

    private bool IssuerExists(string name) => ReadIssuer(name) is not null;

    private StoredIssuer? ReadIssuer(string name) => _settings.Get(IssuerSetting(name)) is { } json ? ParseIssuer(json) : null;

    private static string IssuerSetting(string name) => IssuerSettingPrefix + ObjectRules.Normalize(name);

    private static StoredIssuer ParseIssuer(string json) =>
        JsonSerializer.Deserialize(json, RecordJsonContext.Default.StoredIssuer) ?? throw new VaultIntegrityException("A certificate issuer setting is unreadable.");

    private static CertificateIssuer ToIssuer(StoredIssuer stored) => new(stored.Name, stored.Provider)
    {
        CertificateName = stored.CertificateName,
        Enabled = stored.Enabled,
        CreatedOn = RecordAttributes.FromUnix(stored.Created),
        UpdatedOn = RecordAttributes.FromUnix(stored.Updated),
    };

    private List<StoredContact> ReadContacts() => _settings.Get(ContactsSetting) is { } json
        ? JsonSerializer.Deserialize(json, RecordJsonContext.Default.ListStoredContact) ?? []
        : [];

    private static IList<CertificateContact> ToContacts(IEnumerable<StoredContact> stored) =>
        stored.Select(c => new CertificateContact { Name = c.Name, Email = c.Email, Phone = c.Phone }).ToList();

    private static StoredCertificatePolicy ReadPolicy(ObjectVersion version) =>
        CertificatePolicies.Read(version.Object.Policy ?? throw new VaultIntegrityException($"Certificate '{version.Name}' has no policy."));

    private X509Certificate2 LoadCertificate(ObjectVersion version)
    {
        var der = new byte[ObjectLifecycle.PayloadLength(version)];
        _lifecycle.Unseal(version, der);
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw VaultErrors.Integrity(Type, version.Name, version.Version, ex);
        }
    }

    private static IReadOnlyList<byte[]> Chain(ObjectVersion version) =>
        version.Attributes.Certificate?.Chain?.Select(Convert.FromBase64String).ToList() ?? [];

    private CertificateProperties ToProperties(ObjectVersion version)
    {
        var properties = new CertificateProperties(version.Name);
        properties.Fill(version, _core);
        properties.X509Thumbprint = version.Attributes.Certificate?.Thumbprint is { } thumbprint ? Convert.FromHexString(thumbprint) : null;
        return properties;
    }

    private KeyVaultCertificate ToCertificate(ObjectVersion version)
    {
        var der = new byte[ObjectLifecycle.PayloadLength(version)];
        _lifecycle.Unseal(version, der);
        return new KeyVaultCertificate(ToProperties(version), der, Chain(version));
    }

    private KeyVaultCertificateWithPolicy ToCertificateWithPolicy(ObjectVersion version)
    {
        var der = new byte[ObjectLifecycle.PayloadLength(version)];
        _lifecycle.Unseal(version, der);
        return new KeyVaultCertificateWithPolicy(ToProperties(version), der, Chain(version), CertificatePolicies.ToPublic(ReadPolicy(version)));
    }

    private CertificateOperation ToOperation(ObjectVersion operation)
    {
        var state = operation.Attributes.Certificate!;
        return new CertificateOperation(
            operation.Name,
            state.Issuer ?? WellKnownIssuerNames.Unknown,
            state.Status ?? CertificateOperation.InProgress,
            state.Csr is null ? null : Convert.FromBase64String(state.Csr),
            state.Status == CertificateOperation.Cancelled,
            null);
    }

    private DeletedCertificate ToDeleted(ObjectVersion version) => new(
        ToCertificateWithPolicy(version),
        new Uri(_core.Uri, $"deletedcertificates/{version.Name}"),
        RecordAttributes.FromUnix(version.Object.DeletedOn!.Value),
        RecordAttributes.FromUnix(version.Object.ScheduledPurgeDate!.Value));

    /// <summary>A CA certificate of this vault and its key, ready to sign.</summary>
    private sealed class Authority(X509Certificate2 certificate, CryptoKey crypto, AsymmetricAlgorithm key, HashAlgorithmName hash, IReadOnlyList<byte[]> chain) : IDisposable
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
