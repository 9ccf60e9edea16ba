using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Makes certificate versions: issued from a policy (self-signed or by a CA certificate of this vault), left pending
/// with a CSR for an outside CA and merged later, or imported. A version is three versions of the same id, written in
/// one transaction: the certificate (DER), its managed key (sealed like any key) and its managed secret (PFX or PEM).
/// Key generation and signing happen before the transaction, which checks the name again before it writes.
/// </summary>
internal sealed class CertificateVersions
{
    private const ObjectType Type = ObjectType.Certificate;
    private const ObjectType Pending = ObjectType.CertificateOperation;
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly CertificateModels _models;
    private readonly CertificateIssuers _issuers;
    private readonly CertificateAuthorities _authorities;

    /// <summary>Azure's test issuer provider, which never refuses: a request for it waits, as for issuer Unknown.</summary>
    private const string TestProvider = "Test";

    public CertificateVersions(VaultCore core, ObjectLifecycle lifecycle, CertificateModels models, CertificateIssuers issuers, CertificateAuthorities authorities)
    {
        _core = core;
        _lifecycle = lifecycle;
        _models = models;
        _issuers = issuers;
        _authorities = authorities;
    }

    public async ValueTask<OperationState> CreateAsync(string name, CertificatePolicy policy, bool? enabled, IReadOnlyDictionary<string, string>? tags, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, name);
        ObjectRules.ValidateTags(tags);
        var existing = await _lifecycle.FindObjectAsync(Type, name, cancellationToken).ConfigureAwait(false);
        var previous = existing is { IsDeleted: false, Policy: { } json } ? CertificatePolicies.Read(json) : null;
        var issuers = await _issuers.NamesAsync(cancellationToken).ConfigureAwait(false);
        var stored = CertificatePolicies.Resolve(policy, _core.Time.GetUtcNow(), previous, issuers.Contains);
        await CheckNameAsync(name, cancellationToken).ConfigureAwait(false);
        var attributes = new RecordAttributes { Enabled = enabled ?? stored.Enabled, Tags = tags is { Count: > 0 } ? tags : null };
        if (stored.Issuer == WellKnownIssuerNames.Unknown)
        {
            return _models.ToOperation(await StartPendingAsync(name, stored, attributes, failure: null, cancellationToken).ConfigureAwait(false));
        }

        // An issuer of an outside CA's provider (DigiCert, GlobalSign, ...): the vault does not reach it, so the request
        // is made (key and CSR) and its operation has failed, as Azure's fails when its CA refuses: its CSR can still be
        // signed out of band and merged. As Azure's create, the call answers with the request as submitted (in
        // progress); the failure is what every read of the operation finds, the SDKs' first poll included.
        // Azure's own test provider ("Test", which its SDKs' tests and samples use) is not refused: its request stays in
        // progress, as one for issuer Unknown, until its CSR is signed and merged (or it is cancelled or deleted).
        if (stored.Issuer != WellKnownIssuerNames.Self && await _issuers.ReadAsync(stored.Issuer, cancellationToken).ConfigureAwait(false) is { } issuer && !CertificateIssuers.IsVault(issuer.Provider))
        {
            var failure = string.Equals(issuer.Provider, TestProvider, StringComparison.OrdinalIgnoreCase) ? null
                : $"Certificate issuer '{issuer.Name}' is of provider '{issuer.Provider}', a CA outside this vault, which it does not reach: have the CA sign the operation's CSR and merge its certificate.";
            return _models.Submitted(await StartPendingAsync(name, stored, attributes, failure, cancellationToken).ConfigureAwait(false));
        }

        var created = await IssueAsync(name, stored, attributes, reuseFrom: null, cancellationToken).ConfigureAwait(false);
        return _models.Completed(created);
    }

    /// <summary>A new version signed by the policy's issuer (itself, or a CA certificate of this vault).</summary>
    public async ValueTask<KeyVaultCertificateWithPolicy> IssueAsync(string name, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectVersion? reuseFrom, CancellationToken cancellationToken) =>
        (await IssueAsync(name, policy, attributes, reuseFrom, renewal: false, cancellationToken).ConfigureAwait(false))!;

    /// <summary>
    /// A renewal of <paramref name="current"/>: issued only while it is still the current version when the new one
    /// commits (checked under the write lock, on the vault as every instance left it); null, and nothing written, when
    /// another caller or instance renewed it first.
    /// </summary>
    public ValueTask<KeyVaultCertificateWithPolicy?> RenewAsync(string name, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectVersion current, CancellationToken cancellationToken) =>
        IssueAsync(name, policy, attributes, current, renewal: true, cancellationToken);

    private async ValueTask<KeyVaultCertificateWithPolicy?> IssueAsync(string name, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectVersion? reuseFrom, bool renewal, CancellationToken cancellationToken)
    {
        var now = _core.Time.GetUtcNow();
        using var authority = policy.Issuer == WellKnownIssuerNames.Self ? null : await _authorities.LoadAsync(policy.Issuer, now, cancellationToken).ConfigureAwait(false);
        var version = ObjectRules.NewVersion();
        using var key = await NewKeyForAsync(name, version, policy, reuseFrom, cancellationToken).ConfigureAwait(false);
        try
        {
            using var certificate = Sign(policy, key.Key, authority, now, out var chain);
            var created = await _core.Writer.WriteAsync(async tx =>
            {
                if (renewal && !string.Equals(tx.Index(Type, name)?.Current.Version, reuseFrom!.Value.Version, StringComparison.Ordinal))
                {
                    return (ObjectVersion?)null;
                }

                await PrepareNameAsync(tx, name, cancellationToken).ConfigureAwait(false);
                return await WriteVersionAsync(tx, name, version, certificate, chain, key.Key, policy, attributes, purgeWith: null, operation: true, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            if (created is not { } made)
            {
                if (key.Generated)
                {
                    KeyMaker.Discard(_core, key.Key.Attributes, name, version); // renewed elsewhere first: this key is not used
                }

                return null;
            }

            return _models.ToCertificateWithPolicy(made);
        }
        catch when (key.Generated)
        {
            KeyMaker.Discard(_core, key.Key.Attributes, name, version);
            throw;
        }
    }

    public async ValueTask<KeyVaultCertificateWithPolicy> MergeAsync(MergeCertificateOptions options, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, options.Name);
        ObjectRules.ValidateTags(options.TagsOrNull);
        if (options.X509Certificates.Count == 0)
        {
            throw VaultErrors.BadParameter("MergeCertificateOptions.X509Certificates is empty: give the signed certificate, then its chain.");
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            for (var i = 0; i < options.X509Certificates.Count; i++)
            {
                certificates.Add(LoadMerged(options.X509Certificates[i], i));
            }

            var created = await _core.Writer.WriteAsync(async tx =>
            {
                var index = tx.Index(Pending, options.Name) ?? throw VaultErrors.NotFound(Pending, options.Name);
                var operation = await tx.ObjectVersionAsync(index, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (operation.Object.IsDeleted)
                {
                    throw VaultErrors.NotFound(Pending, options.Name); // soft-deleted with its pending-only certificate
                }

                var state = operation.Attributes.Certificate ?? throw VaultErrors.Integrity(Pending, operation.Name, operation.Version);
                if (state.Status is not (CertificateOperation.InProgress or CertificateOperation.Failed))
                {
                    throw new VaultException(VaultErrorCode.Conflict, 409, $"The operation of certificate '{operation.Name}' is {state.Status}: only an operation in progress (or failed at its CA) can be merged.");
                }

                var keyAttributes = operation.Attributes.Key ?? throw VaultErrors.Integrity(Pending, operation.Name, operation.Version);
                if (!Matches(certificates[0], keyAttributes))
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
                return await WriteVersionAsync(tx, operation.Name, operation.Version, certificates[0], chain, key, CertificatePolicies.Read(state.Policy!), attributes, purgeWith: index, operation: true, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return _models.ToCertificateWithPolicy(created);
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    public async ValueTask<KeyVaultCertificateWithPolicy> ImportAsync(ImportCertificateOptions options, CancellationToken cancellationToken)
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

        var derived = CertificatePolicies.Derive(imported.Leaf, key, imported.Pem);
        var policy = given is null ? derived : CertificatePolicies.ForImport(given, derived);
        var existing = await _lifecycle.FindObjectAsync(Type, options.Name, cancellationToken).ConfigureAwait(false);
        var previous = existing is { IsDeleted: false, Policy: { } json } ? CertificatePolicies.Read(json) : null;
        var issuers = await _issuers.NamesAsync(cancellationToken).ConfigureAwait(false);
        var stored = CertificatePolicies.Resolve(policy, _core.Time.GetUtcNow(), previous, issuers.Contains) with
        {
            KeyType = key.KeyType,
            KeySize = key.Size,
            Curve = key.Curve,
        };
        var attributes = new RecordAttributes
        {
            Enabled = options.Enabled ?? stored.Enabled,
            Tags = options.TagsOrNull is { Count: > 0 } tags ? new Dictionary<string, string>(tags, StringComparer.Ordinal) : null,
        };
        var created = await _core.Writer.WriteAsync(async tx =>
        {
            await PrepareNameAsync(tx, options.Name, cancellationToken).ConfigureAwait(false);
            return await WriteVersionAsync(tx, options.Name, ObjectRules.NewVersion(), imported.Leaf, imported.Chain, imported.Key, stored, attributes, purgeWith: null, operation: false, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return _models.ToCertificateWithPolicy(created);
    }

    /// <summary>
    /// Refuses a name a certificate cannot take (a deleted certificate, a plain key or secret, an operation in
    /// progress), without writing: the check up front, before keys are generated. The transaction checks again.
    /// </summary>
    private async ValueTask CheckNameAsync(string name, CancellationToken cancellationToken) =>
        await PrepareNameAsync(new VaultTransaction(_core), name, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Refuses a name a certificate cannot take (a deleted certificate, a plain key or secret, an operation in
    /// progress, a deleted pending-only certificate), and removes a cancelled or failed operation the new one replaces,
    /// in the transaction.
    /// </summary>
    private async ValueTask PrepareNameAsync(VaultTransaction tx, string name, CancellationToken cancellationToken)
    {
        if (await tx.FindObjectAsync(Type, name, cancellationToken).ConfigureAwait(false) is { IsDeleted: true } certificate)
        {
            throw VaultErrors.DeletedButRecoverable(Type, certificate.Name);
        }

        foreach (var type in (ObjectType[])[ObjectType.Key, ObjectType.Secret])
        {
            if (await tx.FindObjectAsync(type, name, cancellationToken).ConfigureAwait(false) is { ManagedBy: null })
            {
                throw VaultErrors.NameTakenByPlainObject(type, name);
            }
        }

        if (tx.Index(Pending, name) is { } pending)
        {
            var operation = await tx.ObjectVersionAsync(pending, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (operation.Object.IsDeleted)
            {
                throw VaultErrors.DeletedButRecoverable(Type, operation.Name); // a pending-only certificate, soft-deleted
            }

            // Azure overwrites a pending object that is not in progress.
            if (operation.Attributes.Certificate?.Status is not (CertificateOperation.Cancelled or CertificateOperation.Failed))
            {
                throw VaultErrors.OperationPending(name);
            }

            await _lifecycle.RemoveAsync(tx, Pending, name, cancellationToken).ConfigureAwait(false);
        }
    }

    private X509Certificate2 Sign(StoredCertificatePolicy policy, NewKey key, CertificateAuthorities.Authority? authority, DateTimeOffset now, out IReadOnlyList<byte[]> chain)
    {
        using var crypto = KeyMaker.Load(_core, key.Attributes, key.Payload.Span);
        using var adapter = CertificateIssuance.Adapter(crypto, key.Attributes);
        var request = CertificateIssuance.Request(policy, adapter, authority?.Hash ?? CertificateIssuance.Hash(key.Attributes));
        var notBefore = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var notAfter = notBefore.AddMonths(policy.ValidityInMonths);
        if (authority is null)
        {
            chain = [];
            return CertificateIssuance.Sign(request, request.SubjectName, CertificateIssuance.Generator(adapter), notBefore, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var limit = new DateTimeOffset(authority.Certificate.NotAfter.ToUniversalTime());
        chain = [authority.Certificate.RawData, .. authority.Chain];
        return CertificateIssuance.Sign(request, authority.Certificate.SubjectName, CertificateIssuance.Generator(authority.Key), notBefore, notAfter < limit ? notAfter : limit);
    }

    /// <summary>The policy's key: the current one again when the policy reuses keys and it still fits, otherwise a new one.</summary>
    private async ValueTask<PolicyKey> NewKeyForAsync(string name, string version, StoredCertificatePolicy policy, ObjectVersion? reuseFrom, CancellationToken cancellationToken)
    {
        if (policy.ReuseKey && reuseFrom is { } from)
        {
            var current = await _lifecycle.GetVersionAsync(ObjectType.Key, name, from.Version, cancellationToken).ConfigureAwait(false);
            var attributes = current.Attributes.Key ?? throw VaultErrors.Integrity(ObjectType.Key, name, from.Version);
            if (attributes.KeyType == policy.KeyType && attributes.Size == policy.KeySize && attributes.Curve == policy.Curve)
            {
                var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(current), pinned: true);
                _lifecycle.Unseal(current, payload);
                return new PolicyKey(new NewKey(attributes, payload), Generated: false);
            }
        }

        var keyType = new KeyType(policy.KeyType);
        var key = KeyMaker.Generate(_core, keyType, name, version, policy.KeySize, policy.Curve is null ? null : (KeyCurveName?)new KeyCurveName(policy.Curve), KeyTypes.Operations(KeyTypes.Family(keyType), null));
        return new PolicyKey(key, Generated: true);
    }

    /// <summary>A pending request (key and CSR) in progress, or failed with <paramref name="failure"/>.</summary>
    private async ValueTask<ObjectVersion> StartPendingAsync(string name, StoredCertificatePolicy policy, RecordAttributes attributes, string? failure, CancellationToken cancellationToken)
    {
        var version = ObjectRules.NewVersion();
        using var key = await NewKeyForAsync(name, version, policy, reuseFrom: null, cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] csr;
            using (var crypto = KeyMaker.Load(_core, key.Key.Attributes, key.Key.Payload.Span))
            using (var adapter = CertificateIssuance.Adapter(crypto, key.Key.Attributes))
            {
                csr = CertificateIssuance.Request(policy, adapter, CertificateIssuance.Hash(key.Key.Attributes)).CreateSigningRequest(CertificateIssuance.Generator(adapter));
            }

            var pending = attributes with
            {
                Key = key.Key.Attributes,
                Certificate = new CertificateAttributes
                {
                    Status = failure is null ? CertificateOperation.InProgress : CertificateOperation.Failed,
                    Error = failure,
                    Issuer = policy.Issuer,
                    Csr = Convert.ToBase64String(csr),
                    Policy = CertificatePolicies.Write(policy),
                    Exportable = policy.Exportable,
                    ContentType = policy.ContentType,
                },
            };
            return await _core.Writer.WriteAsync(async tx =>
            {
                await PrepareNameAsync(tx, name, cancellationToken).ConfigureAwait(false);
                return (await _lifecycle.CreateVersionsAsync(tx, [new VersionWrite(Pending, name, pending, key.Key.Payload)], version, ObjectAccess.Certificate, cancellationToken: cancellationToken).ConfigureAwait(false))[0];
            }, cancellationToken).ConfigureAwait(false);
        }
        catch when (key.Generated)
        {
            KeyMaker.Discard(_core, key.Key.Attributes, name, version);
            throw;
        }
    }

    /// <summary>
    /// Writes a certificate version with its managed key and secret, and the policy, in the transaction;
    /// <paramref name="operation"/> says whether an operation made it (created, merged, renewed) or none (imported).
    /// </summary>
    private async ValueTask<ObjectVersion> WriteVersionAsync(VaultTransaction tx, string name, string version, X509Certificate2 certificate, IReadOnlyList<byte[]> chain, NewKey key, StoredCertificatePolicy policy, RecordAttributes attributes, ObjectIndex? purgeWith, bool operation, CancellationToken cancellationToken)
    {
        var hsm = KeyTypes.IsHsm(key.Attributes.KeyType);
        var exportable = policy.Exportable && !hsm;
        byte[] secret;
        string thumbprint;
        try
        {
            // A certificate that parses can still fail here (a damaged signature or extension): that is the caller's input.
            thumbprint = certificate.Thumbprint;
            secret = CertificateIssuance.SecretValue(policy.ContentType, certificate, chain, key.Attributes, exportable ? key.Payload.Span : default);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, $"The certificate for '{name}' cannot be stored: it is malformed or does not fit its key ({ex.GetType().Name}).", ex);
        }

        var dated = attributes with
        {
            NotBefore = RecordAttributes.ToUnix(new DateTimeOffset(certificate.NotBefore.ToUniversalTime())),
            ExpiresOn = RecordAttributes.ToUnix(new DateTimeOffset(certificate.NotAfter.ToUniversalTime())),
        };
        var certificateAttributes = dated with
        {
            Certificate = new CertificateAttributes
            {
                Thumbprint = thumbprint,
                Chain = chain.Count == 0 ? null : chain.Select(Convert.ToBase64String).ToList(),
                Exportable = exportable,
                ContentType = policy.ContentType,
                Issuer = policy.Issuer,
                NoOperation = operation ? null : true,
            },
        };
        try
        {
            VersionWrite[] writes =
            [
                new(Type, name, certificateAttributes, certificate.RawData, CertificatePolicies.Write(policy)),
                new(ObjectType.Key, name, dated with { Key = key.Attributes }, key.Payload),
                new(ObjectType.Secret, name, dated with { ContentType = policy.ContentType }, secret),
            ];
            return (await _lifecycle.CreateVersionsAsync(tx, writes, version, ObjectAccess.Certificate, purgeWith is null ? null : [purgeWith], cancellationToken).ConfigureAwait(false))[0];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static bool Matches(X509Certificate2 certificate, KeyAttributes key)
    {
        try
        {
            return CertificateIssuance.Matches(certificate, key);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, "MergeCertificateOptions.X509Certificates[0] has a public key that cannot be read.", ex);
        }
    }

    private static X509Certificate2 LoadMerged(byte[] data, int index)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(data);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            // Azure also takes the base64 text of the DER (a PEM body without its lines: what its SDKs' own merge tests send).
            if (TryDecodeBase64Text(data) is { } der)
            {
                try
                {
                    return X509CertificateLoader.LoadCertificate(der);
                }
                catch (Exception inner) when (MalformedInput.Is(inner))
                {
                }
            }

            throw new VaultException(VaultErrorCode.BadParameter, 400, $"MergeCertificateOptions.X509Certificates[{index}] is not an X.509 certificate (DER, PEM or base64 DER).", ex);
        }
    }

    /// <summary>
    /// The bytes of ASCII base64 text (line breaks allowed, and PEM's armour lines left out: Azure's own samples send
    /// a PEM file's body with its END line), or null when they are not that.
    /// </summary>
    private static byte[]? TryDecodeBase64Text(byte[] data)
    {
        if (data.Any(b => b > 0x7F))
        {
            return null;
        }

        var text = System.Text.RegularExpressions.Regex.Replace(System.Text.Encoding.ASCII.GetString(data), "-----(BEGIN|END) [A-Z0-9 ]+-----", string.Empty).Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    /// <summary>A key for a new version, and whether it was made for it (and so is destroyed when the version is not written).</summary>
    private sealed record PolicyKey(NewKey Key, bool Generated) : IDisposable
    {
        public void Dispose() => Key.Dispose();
    }
}
