using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>Maps stored certificate versions and operations to the public models, unsealing the certificate (DER) as needed.</summary>
internal sealed class CertificateModels
{
    private const ObjectType Type = ObjectType.Certificate;
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;

    public CertificateModels(VaultCore core, ObjectLifecycle lifecycle)
    {
        _core = core;
        _lifecycle = lifecycle;
    }

    public static StoredCertificatePolicy ReadPolicy(ObjectVersion version) =>
        CertificatePolicies.Read(version.Object.Policy ?? throw new VaultIntegrityException($"Certificate '{version.Name}' has no policy."));

    public static IReadOnlyList<byte[]> Chain(ObjectVersion version) =>
        version.Attributes.Certificate?.Chain?.Select(Convert.FromBase64String).ToList() ?? [];

    /// <summary>The state of a pending operation (one waiting for an outside CA, cancelled, or failed at its CA).</summary>
    public OperationState ToOperation(ObjectVersion operation) => State(operation, submitted: false);

    /// <summary>A request as its create submitted it (in progress), whatever its issuer answered since.</summary>
    public OperationState Submitted(ObjectVersion operation) => State(operation, submitted: true);

    private OperationState State(ObjectVersion operation, bool submitted)
    {
        var state = operation.Attributes.Certificate ?? throw VaultErrors.Integrity(ObjectType.CertificateOperation, operation.Name, operation.Version);
        var status = submitted ? CertificateOperation.InProgress : state.Status ?? CertificateOperation.InProgress;
        var properties = new CertificateOperationProperties(
            operation.Name,
            _core.Uri,
            state.Issuer ?? WellKnownIssuerNames.Unknown,
            status,
            state.Csr is null ? null : Convert.FromBase64String(state.Csr),
            status == CertificateOperation.Cancelled);
        if (status == CertificateOperation.Failed)
        {
            properties.Error = new CertificateOperationError("CertificateIssuerError", state.Error ?? "The certificate issuer failed.", null);
            properties.StatusDetails = properties.Error.Message;
        }

        return new OperationState(properties, null, operation.Version);
    }

    /// <summary>
    /// A certificate whose first version is still pending, as Azure serves it: that version (the one the request
    /// becomes), disabled, with its policy and no certificate bytes yet.
    /// </summary>
    public KeyVaultCertificateWithPolicy ToPendingCertificate(ObjectVersion operation)
    {
        var properties = new CertificateProperties(operation.Name);
        properties.Fill(operation, _core);
        properties.Enabled = false;
        var policy = operation.Attributes.Certificate?.Policy ?? throw VaultErrors.Integrity(ObjectType.CertificateOperation, operation.Name, operation.Version);
        return new(properties, [], [], CertificatePolicies.ToPublic(CertificatePolicies.Read(policy)));
    }

    /// <summary>The state of an operation that has issued <paramref name="certificate"/>.</summary>
    public OperationState Completed(KeyVaultCertificateWithPolicy certificate) =>
        new(new CertificateOperationProperties(certificate.Name, _core.Uri, certificate.Policy.IssuerName, CertificateOperation.Completed, null, false), certificate, null);

    /// <summary>The certificate of a version (its payload is the DER).</summary>
    public X509Certificate2 LoadCertificate(ObjectVersion version)
    {
        var der = Der(version);
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw VaultErrors.Integrity(Type, version.Name, version.Version, ex);
        }
    }

    public CertificateProperties ToProperties(ObjectVersion version)
    {
        var properties = new CertificateProperties(version.Name);
        properties.Fill(version, _core);
        properties.X509Thumbprint = version.Attributes.Certificate?.Thumbprint is { } thumbprint ? Convert.FromHexString(thumbprint) : null;
        return properties;
    }

    public KeyVaultCertificate ToCertificate(ObjectVersion version) => new(ToProperties(version), Der(version), Chain(version));

    public KeyVaultCertificateWithPolicy ToCertificateWithPolicy(ObjectVersion version) =>
        new(ToProperties(version), Der(version), Chain(version), CertificatePolicies.ToPublic(ReadPolicy(version)));

    public DeletedCertificate ToDeleted(ObjectVersion version) => new(
        ToCertificateWithPolicy(version),
        new Uri(_core.Uri, $"deletedcertificates/{version.Name}"),
        Lifecycle.RecordAttributes.FromUnix(version.Object.DeletedOn!.Value),
        Lifecycle.RecordAttributes.FromUnix(version.Object.ScheduledPurgeDate!.Value));

    private byte[] Der(ObjectVersion version)
    {
        var der = new byte[ObjectLifecycle.PayloadLength(version)];
        _lifecycle.Unseal(version, der);
        return der;
    }
}

/// <summary>A certificate operation's state, which the store hands out as a <see cref="CertificateOperation"/>.</summary>
/// <remarks><paramref name="PendingVersion"/>: the version a pending request becomes when merged.</remarks>
internal sealed record OperationState(CertificateOperationProperties Properties, KeyVaultCertificateWithPolicy? Value, string? PendingVersion);
