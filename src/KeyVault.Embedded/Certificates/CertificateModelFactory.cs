namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Builds certificate models with service-owned fields set, so tests of code that uses the vault can fake results; the
/// methods and parameters are the Azure SDK's.
/// </summary>
public static class CertificateModelFactory
{
    /// <summary>Creates <see cref="Certificates.IssuerProperties"/>.</summary>
    /// <param name="id">The issuer's identifier.</param>
    /// <param name="name">The issuer's name.</param>
    /// <returns>The properties.</returns>
    public static IssuerProperties IssuerProperties(Uri? id = null, string? name = null) => new(id, name ?? string.Empty, null);

    /// <summary>Creates a <see cref="Certificates.CertificateIssuer"/>.</summary>
    /// <param name="properties">Its identifier, name and provider.</param>
    /// <param name="createdOn">When it was registered.</param>
    /// <param name="updatedOn">When it last changed.</param>
    /// <returns>The issuer.</returns>
    public static CertificateIssuer CertificateIssuer(IssuerProperties properties, DateTimeOffset? createdOn = null, DateTimeOffset? updatedOn = null)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return new CertificateIssuer(properties.Name, properties.Provider ?? Certificates.CertificateIssuer.VaultCertificateProvider)
        {
            Id = properties.Id,
            CreatedOn = createdOn,
            UpdatedOn = updatedOn,
        };
    }

    /// <summary>Creates a <see cref="Certificates.CertificateOperationError"/>.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerError">The cause.</param>
    /// <returns>The error.</returns>
    public static CertificateOperationError CertificateOperationError(string? code = null, string? message = null, CertificateOperationError? innerError = null) =>
        new(code, message, innerError);

    /// <summary>Creates <see cref="Certificates.CertificateOperationProperties"/>.</summary>
    /// <param name="id">The operation's identifier.</param>
    /// <param name="name">The certificate's name.</param>
    /// <param name="vaultUri">The vault's identifier.</param>
    /// <param name="issuerName">The issuer's name.</param>
    /// <param name="certificateType">Azure's partner-CA certificate type; the vault has no such field, so it is not kept.</param>
    /// <param name="certificateTransparency">Azure's partner-CA transparency flag; the vault has no such field, so it is not kept.</param>
    /// <param name="csr">The certificate signing request.</param>
    /// <param name="cancellationRequested">Whether cancellation was requested.</param>
    /// <param name="requestId">The issuer's request identifier.</param>
    /// <param name="status">The status.</param>
    /// <param name="statusDetails">A description of the status.</param>
    /// <param name="target">The identifier of the certificate made.</param>
    /// <param name="error">The error of a failed operation.</param>
    /// <returns>The properties.</returns>
    public static CertificateOperationProperties CertificateOperationProperties(
        Uri? id = null,
        string? name = null,
        Uri? vaultUri = null,
        string? issuerName = null,
        string? certificateType = null,
        bool? certificateTransparency = null,
        byte[]? csr = null,
        bool cancellationRequested = false,
        string? requestId = null,
        string? status = null,
        string? statusDetails = null,
        string? target = null,
        CertificateOperationError? error = null)
    {
        _ = certificateType;
        _ = certificateTransparency;
        return new CertificateOperationProperties(name ?? string.Empty, vaultUri, issuerName ?? WellKnownIssuerNames.Unknown, status ?? CertificateOperation.InProgress, csr, cancellationRequested)
        {
            Id = id,
            RequestId = requestId,
            StatusDetails = statusDetails,
            Target = target,
            Error = error,
        };
    }

    /// <summary>Creates a <see cref="Certificates.CertificatePolicy"/> with its dates.</summary>
    /// <param name="subject">The subject.</param>
    /// <param name="subjectAlternativeNames">The subject alternative names.</param>
    /// <param name="issuerName">The issuer's name.</param>
    /// <param name="createdOn">When the policy was created.</param>
    /// <param name="updatedOn">When it last changed.</param>
    /// <returns>The policy.</returns>
    public static CertificatePolicy CertificatePolicy(string? subject = null, SubjectAlternativeNames? subjectAlternativeNames = null, string? issuerName = null, DateTimeOffset? createdOn = null, DateTimeOffset? updatedOn = null) =>
        new(issuerName ?? WellKnownIssuerNames.Self, subject!, subjectAlternativeNames!) { CreatedOn = createdOn, UpdatedOn = updatedOn };

    /// <summary>Creates <see cref="Certificates.CertificateProperties"/> with the service-owned fields set.</summary>
    /// <param name="id">The version's identifier.</param>
    /// <param name="name">The certificate's name.</param>
    /// <param name="vaultUri">The vault's identifier.</param>
    /// <param name="version">The version id.</param>
    /// <param name="x509thumbprint">The SHA-1 thumbprint.</param>
    /// <param name="notBefore">When the certificate becomes valid.</param>
    /// <param name="expiresOn">When it expires.</param>
    /// <param name="createdOn">When the version was created.</param>
    /// <param name="updatedOn">When it last changed.</param>
    /// <param name="recoveryLevel">The recovery level.</param>
    /// <param name="recoverableDays">The retention in days.</param>
    /// <returns>The properties.</returns>
    public static CertificateProperties CertificateProperties(
        Uri? id = null,
        string? name = null,
        Uri? vaultUri = null,
        string? version = null,
        byte[]? x509thumbprint = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expiresOn = null,
        DateTimeOffset? createdOn = null,
        DateTimeOffset? updatedOn = null,
        string? recoveryLevel = null,
        int? recoverableDays = null) => new(name ?? string.Empty)
        {
            Id = id,
            VaultUri = vaultUri,
            Version = version,
            X509Thumbprint = x509thumbprint,
            NotBefore = notBefore,
            ExpiresOn = expiresOn,
            CreatedOn = createdOn,
            UpdatedOn = updatedOn,
            RecoveryLevel = recoveryLevel,
            RecoverableDays = recoverableDays,
        };

    /// <summary>Creates a <see cref="Certificates.KeyVaultCertificate"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="keyId">The managed key's identifier.</param>
    /// <param name="secretId">The managed secret's identifier.</param>
    /// <param name="cer">The certificate (DER).</param>
    /// <returns>The certificate.</returns>
    public static KeyVaultCertificate KeyVaultCertificate(CertificateProperties properties, Uri? keyId = null, Uri? secretId = null, byte[]? cer = null) =>
        new(properties, cer ?? [], [], keyId, secretId);

    /// <summary>Creates a <see cref="Certificates.KeyVaultCertificateWithPolicy"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="keyId">The managed key's identifier.</param>
    /// <param name="secretId">The managed secret's identifier.</param>
    /// <param name="cer">The certificate (DER).</param>
    /// <param name="policy">The policy.</param>
    /// <returns>The certificate.</returns>
    public static KeyVaultCertificateWithPolicy KeyVaultCertificateWithPolicy(CertificateProperties properties, Uri? keyId = null, Uri? secretId = null, byte[]? cer = null, CertificatePolicy? policy = null) =>
        new(properties, cer ?? [], [], policy ?? Certificates.CertificatePolicy.Default, keyId, secretId);

    /// <summary>Creates a <see cref="Certificates.DeletedCertificate"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="keyId">The managed key's identifier.</param>
    /// <param name="secretId">The managed secret's identifier.</param>
    /// <param name="cer">The certificate (DER).</param>
    /// <param name="policy">The policy.</param>
    /// <param name="recoveryId">The deleted certificate's identifier.</param>
    /// <param name="deletedOn">When it was deleted.</param>
    /// <param name="scheduledPurgeDate">When it will be purged.</param>
    /// <returns>The deleted certificate.</returns>
    public static DeletedCertificate DeletedCertificate(CertificateProperties properties, Uri? keyId = null, Uri? secretId = null, byte[]? cer = null, CertificatePolicy? policy = null, Uri? recoveryId = null, DateTimeOffset? deletedOn = null, DateTimeOffset? scheduledPurgeDate = null) =>
        new(KeyVaultCertificateWithPolicy(properties, keyId, secretId, cer, policy), recoveryId, deletedOn, scheduledPurgeDate);
}
