using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Certificates with Azure Key Vault's semantics: created from a policy (self-signed, issued by another certificate of
/// this vault acting as a CA, or left pending with a CSR for an outside CA), imported from PKCS#12 or PEM, versioned,
/// renewed by lifetime actions, soft-deleted and recoverable. Each certificate version comes with a managed key and a
/// managed secret of the same name and version, read-only through <see cref="Keys.IKeyStore"/> and
/// <see cref="Secrets.ISecretStore"/>.
/// </summary>
/// <remarks>
/// <para>Creation, deletion and recovery keep Azure's long-running-operation shape
/// (<see cref="StartCreateCertificateAsync(string, CertificatePolicy, bool?, IDictionary{string, string}, CancellationToken)"/>,
/// <see cref="StartDeleteCertificateAsync"/>, <see cref="StartRecoverDeletedCertificateAsync"/>); in-process they complete
/// before the call returns, except a creation that waits for an outside CA's signature. Every operation has a
/// synchronous counterpart of Azure's name (a write blocks the calling thread until its commit is durable). Every
/// change is on disk when its task completes. All members are thread-safe.</para>
/// <para>Errors: <c>BadParameter</c> (400) for input that breaks a rule (the message names the field),
/// <see cref="VaultObjectNotFoundException"/> (404, <c>CertificateNotFound</c>), <c>Conflict</c> (409) when a name is
/// taken by a plain key or secret or an operation is pending, <c>ObjectIsDeletedButRecoverable</c> (409),
/// <c>Forbidden</c> (403) for a disabled certificate or a refused purge.</para>
/// </remarks>
public interface ICertificateStore
{
    /// <summary>The vault's identifier, the base of every certificate's <see cref="KeyVaultCertificate.Id"/>.</summary>
    Uri VaultUri { get; }

    /// <summary>
    /// Creates a certificate version from a policy. With issuer <see cref="WellKnownIssuerNames.Self"/> it is
    /// self-signed; with a registered issuer it is signed by that issuer's certificate in this vault; with
    /// <see cref="WellKnownIssuerNames.Unknown"/> the call leaves a pending operation holding a certificate signing
    /// request, completed by <see cref="MergeCertificateAsync"/>. The certificate's current version does not change
    /// while the operation is pending.
    /// </summary>
    /// <param name="certificateName">The name: <c>^[0-9a-zA-Z-]{1,127}$</c>. The managed key and secret take it too.</param>
    /// <param name="policy">The policy; it becomes the certificate's policy.</param>
    /// <param name="enabled">Whether the new version is enabled (default true).</param>
    /// <param name="tags">Tags of the new version.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The operation: completed with its certificate, or in progress with its CSR.</returns>
    Task<CertificateOperation> StartCreateCertificateAsync(string certificateName, CertificatePolicy policy, bool? enabled = null, IDictionary<string, string>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>Gets the current version of a certificate with its policy.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>
    /// The certificate (public part) and policy. A certificate whose first version is still pending (an outside CA's)
    /// is that version, as Azure serves it: disabled, with its policy and an empty <see cref="KeyVaultCertificate.Cer"/>.
    /// </returns>
    Task<KeyVaultCertificateWithPolicy> GetCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>Gets one version of a certificate.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="version">The version id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The certificate version (public part).</returns>
    Task<KeyVaultCertificate> GetCertificateVersionAsync(string certificateName, string version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Imports a certificate with its private key from PKCS#12 (PFX, with its password) or PEM (certificate, PKCS#8
    /// private key, optional chain). Without a policy, one is derived from the certificate (issuer Unknown).
    /// </summary>
    /// <param name="importCertificateOptions">Name, bytes, password, policy and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The imported certificate with its policy.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c>: malformed input, a wrong password, no private key, or a key that does not match the certificate. Nothing is written.</exception>
    Task<KeyVaultCertificateWithPolicy> ImportCertificateAsync(ImportCertificateOptions importCertificateOptions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes a pending operation with the certificate an outside CA signed (DER or PEM, leaf first, then its
    /// chain). The leaf's public key must be the pending key.
    /// </summary>
    /// <param name="mergeCertificateOptions">Name, certificates and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new current version with its policy.</returns>
    Task<KeyVaultCertificateWithPolicy> MergeCertificateAsync(MergeCertificateOptions mergeCertificateOptions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets the pending operation of a certificate, or a completed one for a certificate without a pending operation.
    /// The operation cancels itself (<see cref="CertificateOperation.CancelAsync"/>: it stays, cancelled, until deleted
    /// or replaced by a new create) and deletes itself (<see cref="CertificateOperation.DeleteAsync"/>: its pending key
    /// is destroyed).
    /// </summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operation.</returns>
    Task<CertificateOperation> GetCertificateOperationAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates a version's <see cref="VaultObjectProperties.Enabled"/> and tags (the current version when
    /// <see cref="VaultObjectProperties.Version"/> is null); the managed key and secret version follow. Validity comes
    /// from the certificate and cannot be changed.
    /// </summary>
    /// <param name="properties">The properties to apply.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The updated version.</returns>
    Task<KeyVaultCertificate> UpdateCertificatePropertiesAsync(CertificateProperties properties, CancellationToken cancellationToken = default);

    /// <summary>Gets a certificate's policy.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The policy with every default resolved.</returns>
    Task<CertificatePolicy> GetCertificatePolicyAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>Replaces a certificate's policy; the next version (renewal or create) follows it.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="policy">The new policy.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored policy.</returns>
    Task<CertificatePolicy> UpdateCertificatePolicyAsync(string certificateName, CertificatePolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Lists the current version of every certificate (not deleted ones).</summary>
    /// <param name="includePending">
    /// Also list names whose only state is a pending creation (no version yet): their properties have a name and no version.
    /// </param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Their properties.</returns>
    IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificatesAsync(bool includePending = false, CancellationToken cancellationToken = default);

    /// <summary>Lists every version of a certificate, oldest first.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Their properties.</returns>
    IAsyncEnumerable<CertificateProperties> GetPropertiesOfCertificateVersionsAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Soft-deletes a certificate with every version, its managed key and secret, and any pending operation. Without
    /// soft delete retention it is recoverable until its scheduled purge date.
    /// </summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the deleted certificate.</returns>
    Task<DeleteCertificateOperation> StartDeleteCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>Gets a deleted certificate.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deleted certificate.</returns>
    Task<DeletedCertificate> GetDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>Lists deleted certificates.</summary>
    /// <param name="includePending">
    /// Azure's flag for deleted certificates that were pending; it changes nothing here, where a pending operation is
    /// removed with its certificate.
    /// </param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The deleted certificates.</returns>
    IAsyncEnumerable<DeletedCertificate> GetDeletedCertificatesAsync(bool includePending = false, CancellationToken cancellationToken = default);

    /// <summary>Recovers a deleted certificate with its managed key and secret.</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the recovered certificate.</returns>
    Task<RecoverDeletedCertificateOperation> StartRecoverDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>Purges a deleted certificate with its managed key and secret (refused under purge protection until the scheduled purge date).</summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the purge is on disk.</returns>
    Task PurgeDeletedCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Backs up a certificate with every version, its policy, its pending operation and its managed key and secret, as
    /// Azure's <c>BackupCertificateAsync</c>: one blob, authenticated and encrypted under the vault's root, that
    /// <see cref="RestoreCertificateBackupAsync"/> restores into this vault or any vault that shares the root.
    /// </summary>
    /// <param name="certificateName">The name of an active certificate.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The backup blob.</returns>
    /// <exception cref="VaultObjectNotFoundException">No active certificate has that name.</exception>
    /// <exception cref="VaultException"><c>BadParameter</c> beyond 500 versions.</exception>
    Task<byte[]> BackupCertificateAsync(string certificateName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Restores a certificate from a blob of <see cref="BackupCertificateAsync"/>, with its managed key and secret, its
    /// name and every version id, as Azure's <c>RestoreCertificateBackupAsync</c>. Refused when a certificate, key or
    /// secret of that name exists, deleted ones included.
    /// </summary>
    /// <param name="backup">The blob.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The restored certificate with its policy.</returns>
    /// <exception cref="VaultException">
    /// <c>Conflict</c> when the name exists; <c>RootKeyMismatch</c> for a blob made under another root; <c>BadParameter</c>
    /// for bytes that are not a certificate backup. Nothing is written.
    /// </exception>
    /// <exception cref="VaultIntegrityException">The blob was altered.</exception>
    Task<KeyVaultCertificateWithPolicy> RestoreCertificateBackupAsync(byte[] backup, CancellationToken cancellationToken = default);

    /// <summary>
    /// Downloads a certificate version as an <see cref="X509Certificate2"/>: with its private key when the policy made
    /// it exportable; for an -HSM key (PKCS#11 root), with an OpenSSL key whose private operations run in the token
    /// (usable by <c>SslStream</c> and Kestrel while the vault is open; it needs OpenSSL's pkcs11 engine, see the
    /// KeyVault.Embedded.Pkcs11 package); otherwise the public certificate (use <see cref="GetCertificateKeyAsync"/> to
    /// sign with its key).
    /// </summary>
    /// <remarks>
    /// A private key in the downloaded certificate is used outside the vault's checks: disabling the certificate or
    /// its key stops new downloads, not a certificate already downloaded.
    /// </remarks>
    /// <param name="certificateName">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The certificate; the caller disposes it.</returns>
    /// <exception cref="VaultException"><c>Forbidden</c>: the version is disabled.</exception>
    Task<X509Certificate2> DownloadCertificateAsync(string certificateName, string? version, CancellationToken cancellationToken);

    /// <inheritdoc cref="DownloadCertificateAsync(string, string, CancellationToken)"/>
    /// <param name="certificateName">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="outContentType">Azure's format of the secret read; the certificate returned is the same either way.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<X509Certificate2> DownloadCertificateAsync(string certificateName, string? version = null, CertificateContentType? outContentType = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="DownloadCertificateAsync(string, string, CancellationToken)"/>
    /// <param name="options">The name, version and key storage.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> for key storage flags other than DefaultKeySet, EphemeralKeySet and Exportable.</exception>
    Task<X509Certificate2> DownloadCertificateAsync(DownloadCertificateOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// The certificate's key as an <see cref="RSA"/> or <see cref="ECDsa"/> whose private operations (sign, decrypt)
    /// run in the vault, or in the token for an -HSM key, through a cryptography client: the key's state (enabled,
    /// validity, allowed operations) applies to each call. Public operations run locally.
    /// </summary>
    /// <param name="certificateName">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key; the caller disposes it.</returns>
    Task<AsymmetricAlgorithm> GetCertificateKeyAsync(string certificateName, string? version = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces the vault's certificate contacts (who near-expiry notifications go to).</summary>
    /// <param name="contacts">The contacts: each with an email address.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored contacts.</returns>
    Task<IList<CertificateContact>> SetContactsAsync(IEnumerable<CertificateContact> contacts, CancellationToken cancellationToken = default);

    /// <summary>Gets the vault's certificate contacts.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The contacts.</returns>
    /// <exception cref="VaultObjectNotFoundException"><c>ContactsNotFound</c> (404) when none are set, as Azure answers.</exception>
    Task<IList<CertificateContact>> GetContactsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the vault's certificate contacts.</summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The contacts as they were.</returns>
    Task<IList<CertificateContact>> DeleteContactsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers an issuer: provider <see cref="CertificateIssuer.VaultCertificateProvider"/>, naming a certificate of
    /// this vault that is a CA (basic constraints CA, key usage keyCertSign). Policies name the issuer to be signed by it.
    /// </summary>
    /// <param name="issuer">The issuer.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored issuer.</returns>
    Task<CertificateIssuer> CreateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default);

    /// <summary>Gets an issuer.</summary>
    /// <param name="issuerName">The issuer's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The issuer.</returns>
    Task<CertificateIssuer> GetIssuerAsync(string issuerName, CancellationToken cancellationToken = default);

    /// <summary>Updates an issuer's certificate or enabled state.</summary>
    /// <param name="issuer">The issuer, with the properties to change set.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored issuer.</returns>
    Task<CertificateIssuer> UpdateIssuerAsync(CertificateIssuer issuer, CancellationToken cancellationToken = default);

    /// <summary>Deletes an issuer (certificates it signed stay).</summary>
    /// <param name="issuerName">The issuer's name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The issuer as it was.</returns>
    Task<CertificateIssuer> DeleteIssuerAsync(string issuerName, CancellationToken cancellationToken = default);

    /// <summary>Lists the registered issuers.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Each issuer's identifier, name and provider (<see cref="GetIssuerAsync"/> reads the rest).</returns>
    IAsyncEnumerable<IssuerProperties> GetPropertiesOfIssuersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Evaluates every certificate's lifetime action at the vault's current time: AutoRenew makes a new version (a new
    /// key unless the policy reuses it); EmailContacts reports the version as near expiry, once per version.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>What was renewed, what is near expiry, who to tell, and what could not be renewed.</returns>
    Task<CertificateLifetimeActionResults> ApplyLifetimeActionsAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="StartCreateCertificateAsync(string, CertificatePolicy, bool?, IDictionary{string, string}, CancellationToken)"/>
    CertificateOperation StartCreateCertificate(string certificateName, CertificatePolicy policy, bool? enabled = null, IDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartCreateCertificateAsync(certificateName, policy, enabled, tags, cancellationToken));

    /// <inheritdoc cref="GetCertificateAsync"/>
    KeyVaultCertificateWithPolicy GetCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="GetCertificateVersionAsync"/>
    KeyVaultCertificate GetCertificateVersion(string certificateName, string version, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetCertificateVersionAsync(certificateName, version, cancellationToken));

    /// <inheritdoc cref="ImportCertificateAsync"/>
    KeyVaultCertificateWithPolicy ImportCertificate(ImportCertificateOptions importCertificateOptions, CancellationToken cancellationToken = default) =>
        Sync.Wait(ImportCertificateAsync(importCertificateOptions, cancellationToken));

    /// <inheritdoc cref="MergeCertificateAsync"/>
    KeyVaultCertificateWithPolicy MergeCertificate(MergeCertificateOptions mergeCertificateOptions, CancellationToken cancellationToken = default) =>
        Sync.Wait(MergeCertificateAsync(mergeCertificateOptions, cancellationToken));

    /// <inheritdoc cref="GetCertificateOperationAsync"/>
    CertificateOperation GetCertificateOperation(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetCertificateOperationAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="UpdateCertificatePropertiesAsync"/>
    KeyVaultCertificate UpdateCertificateProperties(CertificateProperties properties, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateCertificatePropertiesAsync(properties, cancellationToken));

    /// <inheritdoc cref="GetCertificatePolicyAsync"/>
    CertificatePolicy GetCertificatePolicy(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetCertificatePolicyAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="UpdateCertificatePolicyAsync"/>
    CertificatePolicy UpdateCertificatePolicy(string certificateName, CertificatePolicy policy, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateCertificatePolicyAsync(certificateName, policy, cancellationToken));

    /// <inheritdoc cref="GetPropertiesOfCertificatesAsync"/>
    IEnumerable<CertificateProperties> GetPropertiesOfCertificates(bool includePending = false, CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfCertificatesAsync(includePending, cancellationToken), cancellationToken);

    /// <inheritdoc cref="GetPropertiesOfCertificateVersionsAsync"/>
    IEnumerable<CertificateProperties> GetPropertiesOfCertificateVersions(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfCertificateVersionsAsync(certificateName, cancellationToken), cancellationToken);

    /// <inheritdoc cref="StartDeleteCertificateAsync"/>
    DeleteCertificateOperation StartDeleteCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartDeleteCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="GetDeletedCertificateAsync"/>
    DeletedCertificate GetDeletedCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetDeletedCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="GetDeletedCertificatesAsync"/>
    IEnumerable<DeletedCertificate> GetDeletedCertificates(bool includePending = false, CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetDeletedCertificatesAsync(includePending, cancellationToken), cancellationToken);

    /// <inheritdoc cref="StartRecoverDeletedCertificateAsync"/>
    RecoverDeletedCertificateOperation StartRecoverDeletedCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartRecoverDeletedCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="PurgeDeletedCertificateAsync"/>
    void PurgeDeletedCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(PurgeDeletedCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="BackupCertificateAsync"/>
    byte[] BackupCertificate(string certificateName, CancellationToken cancellationToken = default) =>
        Sync.Wait(BackupCertificateAsync(certificateName, cancellationToken));

    /// <inheritdoc cref="RestoreCertificateBackupAsync"/>
    KeyVaultCertificateWithPolicy RestoreCertificateBackup(byte[] backup, CancellationToken cancellationToken = default) =>
        Sync.Wait(RestoreCertificateBackupAsync(backup, cancellationToken));

    /// <inheritdoc cref="DownloadCertificateAsync(string, string, CancellationToken)"/>
    X509Certificate2 DownloadCertificate(string certificateName, string? version, CancellationToken cancellationToken) =>
        Sync.Wait(DownloadCertificateAsync(certificateName, version, cancellationToken));

    /// <inheritdoc cref="DownloadCertificateAsync(string, string, CertificateContentType?, CancellationToken)"/>
    X509Certificate2 DownloadCertificate(string certificateName, string? version = null, CertificateContentType? outContentType = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(DownloadCertificateAsync(certificateName, version, outContentType, cancellationToken));

    /// <inheritdoc cref="DownloadCertificateAsync(DownloadCertificateOptions, CancellationToken)"/>
    X509Certificate2 DownloadCertificate(DownloadCertificateOptions options, CancellationToken cancellationToken = default) =>
        Sync.Wait(DownloadCertificateAsync(options, cancellationToken));

    /// <inheritdoc cref="GetCertificateKeyAsync"/>
    AsymmetricAlgorithm GetCertificateKey(string certificateName, string? version = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetCertificateKeyAsync(certificateName, version, cancellationToken));

    /// <inheritdoc cref="SetContactsAsync"/>
    IList<CertificateContact> SetContacts(IEnumerable<CertificateContact> contacts, CancellationToken cancellationToken = default) =>
        Sync.Wait(SetContactsAsync(contacts, cancellationToken));

    /// <inheritdoc cref="GetContactsAsync"/>
    IList<CertificateContact> GetContacts(CancellationToken cancellationToken = default) =>
        Sync.Wait(GetContactsAsync(cancellationToken));

    /// <inheritdoc cref="DeleteContactsAsync"/>
    IList<CertificateContact> DeleteContacts(CancellationToken cancellationToken = default) =>
        Sync.Wait(DeleteContactsAsync(cancellationToken));

    /// <inheritdoc cref="CreateIssuerAsync"/>
    CertificateIssuer CreateIssuer(CertificateIssuer issuer, CancellationToken cancellationToken = default) =>
        Sync.Wait(CreateIssuerAsync(issuer, cancellationToken));

    /// <inheritdoc cref="GetIssuerAsync"/>
    CertificateIssuer GetIssuer(string issuerName, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetIssuerAsync(issuerName, cancellationToken));

    /// <inheritdoc cref="UpdateIssuerAsync"/>
    CertificateIssuer UpdateIssuer(CertificateIssuer issuer, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateIssuerAsync(issuer, cancellationToken));

    /// <inheritdoc cref="DeleteIssuerAsync"/>
    CertificateIssuer DeleteIssuer(string issuerName, CancellationToken cancellationToken = default) =>
        Sync.Wait(DeleteIssuerAsync(issuerName, cancellationToken));

    /// <inheritdoc cref="GetPropertiesOfIssuersAsync"/>
    IEnumerable<IssuerProperties> GetPropertiesOfIssuers(CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfIssuersAsync(cancellationToken), cancellationToken);

    /// <inheritdoc cref="ApplyLifetimeActionsAsync"/>
    CertificateLifetimeActionResults ApplyLifetimeActions(CancellationToken cancellationToken = default) =>
        Sync.Wait(ApplyLifetimeActionsAsync(cancellationToken));
}
