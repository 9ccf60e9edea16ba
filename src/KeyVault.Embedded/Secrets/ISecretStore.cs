using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Secrets;

/// <summary>
/// Secrets with Azure Key Vault's semantics: every set makes a new immutable version that becomes current;
/// names compare case-insensitively; deleting is soft (recoverable for the vault's retention) and a deleted
/// name cannot be reused until it is recovered or purged.
/// </summary>
/// <remarks>
/// <para>Azure's delete and recover are long-running operations, and keep Azure's shape here
/// (<see cref="StartDeleteSecretAsync"/> returns a <see cref="DeleteSecretOperation"/>); in-process they complete
/// before the call returns, so the operation's <see cref="Operation{T}.Value"/> is there at once. The same holds for
/// keys and certificates.</para>
/// <para>Every operation has a synchronous counterpart of Azure's name (<see cref="GetSecret(string, string, SecretContentType?, CancellationToken)"/>,
/// <see cref="SetSecret(string, string, CancellationToken)"/>, ...). A read completes on the calling thread; a write
/// blocks the calling thread until its commit is durable, as a synchronous Azure SDK call blocks for its response.</para>
/// <para>Every call that changes the vault is on disk when its task completes. All members are thread-safe.</para>
/// <para>Errors are <see cref="VaultException"/>s: <c>BadParameter</c> (400) for input that breaks a rule,
/// <see cref="VaultObjectNotFoundException"/> (404, <c>SecretNotFound</c>), <c>SecretDisabled</c> (403),
/// <c>ObjectIsDeletedButRecoverable</c> (409), <c>Forbidden</c> (403) for a purge that purge protection refuses, and
/// <see cref="VaultIntegrityException"/> when a record was altered on disk.</para>
/// </remarks>
public interface ISecretStore
{
    /// <summary>The vault's identifier, the base of every secret's <see cref="KeyVaultSecret.Id"/>.</summary>
    Uri VaultUri { get; }

    /// <summary>Sets a secret: a new version with default properties becomes current.</summary>
    /// <param name="name">The name: <c>^[0-9a-zA-Z-]{1,127}$</c>.</param>
    /// <param name="value">The value: at most 25 KiB as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new version, with its value.</returns>
    Task<KeyVaultSecret> SetSecretAsync(string name, string value, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets a secret with properties (enabled, notBefore, expiresOn, contentType, tags): a new version becomes current.
    /// </summary>
    /// <param name="secret">The name, value and properties of the new version.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new version, with its value.</returns>
    Task<KeyVaultSecret> SetSecretAsync(KeyVaultSecret secret, CancellationToken cancellationToken = default);

    /// <summary>Gets the current version of a secret, or the given version.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The secret with its value. Expired and not-yet-valid versions are returned, as in Azure.</returns>
    /// <exception cref="VaultObjectNotFoundException">No such secret or version, or the secret is deleted.</exception>
    /// <exception cref="VaultException"><c>SecretDisabled</c> when the version is disabled.</exception>
    Task<KeyVaultSecret> GetSecretAsync(string name, string? version, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the current version of a secret, or the given version; a certificate's PKCS#12 secret can be read as PEM
    /// (<paramref name="outContentType"/> <see cref="SecretContentType.Pem"/>), the one conversion Azure offers.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="outContentType">Null, the secret's own content type, or PEM for a certificate's PKCS#12 secret.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The secret with its value. Expired and not-yet-valid versions are returned, as in Azure.</returns>
    /// <exception cref="VaultObjectNotFoundException">No such secret or version, or the secret is deleted.</exception>
    /// <exception cref="VaultException">
    /// <c>SecretDisabled</c> when the version is disabled; <c>BadParameter</c> for a conversion other than PKCS#12 to PEM
    /// of a certificate's secret.
    /// </exception>
    Task<KeyVaultSecret> GetSecretAsync(string name, string? version = null, SecretContentType? outContentType = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates the properties of one version (the current one when <see cref="VaultObjectProperties.Version"/> is null):
    /// enabled, notBefore, expiresOn, contentType, tags. Never the value. Null fields are left unchanged.
    /// </summary>
    /// <param name="properties">The name, optional version, and new property values.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The updated properties.</returns>
    Task<SecretProperties> UpdateSecretPropertiesAsync(SecretProperties properties, CancellationToken cancellationToken = default);

    /// <summary>Lists the properties of the current version of every secret that is not deleted. Never values.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The properties.</returns>
    IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretsAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the properties of every version of a secret, oldest first. Never values.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The properties.</returns>
    IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretVersionsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Soft-deletes a secret with all its versions. It can be recovered until its scheduled purge date, when the
    /// vault purges it. The operation has completed when the call returns.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the deleted secret.</returns>
    Task<DeleteSecretOperation> StartDeleteSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Gets a deleted secret (its properties and deletion state, not its value).</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deleted secret.</returns>
    Task<DeletedSecret> GetDeletedSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists the deleted secrets.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The deleted secrets.</returns>
    IAsyncEnumerable<DeletedSecret> GetDeletedSecretsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Backs up a secret with every version (ids, values, attributes, tags), as Azure's <c>BackupSecretAsync</c>: one
    /// self-contained blob, authenticated and encrypted under the vault's root, that <see cref="RestoreSecretBackupAsync"/>
    /// restores into this vault or any vault that shares the root (the same software root key, the same token key).
    /// </summary>
    /// <param name="name">The name of an active secret (not one a certificate manages: back up the certificate).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The backup blob.</returns>
    /// <exception cref="VaultObjectNotFoundException">No active secret has that name.</exception>
    /// <exception cref="VaultException"><c>Forbidden</c> for a certificate's secret; <c>BadParameter</c> beyond 500 versions.</exception>
    Task<byte[]> BackupSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Restores a secret from a blob of <see cref="BackupSecretAsync"/>, with its name and every version id, as Azure's
    /// <c>RestoreSecretBackupAsync</c>. Refused when a secret of that name exists, deleted ones included.
    /// </summary>
    /// <param name="backup">The blob.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The properties of the restored current version.</returns>
    /// <exception cref="VaultException">
    /// <c>Conflict</c> when the name exists; <c>RootKeyMismatch</c> for a blob made under another root; <c>BadParameter</c>
    /// for bytes that are not a secret backup. Nothing is written.
    /// </exception>
    /// <exception cref="VaultIntegrityException">The blob was altered.</exception>
    Task<SecretProperties> RestoreSecretBackupAsync(byte[] backup, CancellationToken cancellationToken = default);

    /// <summary>Recovers a deleted secret with all its versions. The operation has completed when the call returns.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the properties of the current version.</returns>
    Task<RecoverDeletedSecretOperation> StartRecoverDeletedSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Purges a deleted secret for good: its records leave the vault's files. Refused (403 <c>Forbidden</c>) while
    /// purge protection is on and the scheduled purge date has not come.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the secret is purged and the change is on disk.</returns>
    Task PurgeDeletedSecretAsync(string name, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="SetSecretAsync(string, string, CancellationToken)"/>
    KeyVaultSecret SetSecret(string name, string value, CancellationToken cancellationToken = default) =>
        Sync.Wait(SetSecretAsync(name, value, cancellationToken));

    /// <inheritdoc cref="SetSecretAsync(KeyVaultSecret, CancellationToken)"/>
    KeyVaultSecret SetSecret(KeyVaultSecret secret, CancellationToken cancellationToken = default) =>
        Sync.Wait(SetSecretAsync(secret, cancellationToken));

    /// <inheritdoc cref="GetSecretAsync(string, string, CancellationToken)"/>
    KeyVaultSecret GetSecret(string name, string? version, CancellationToken cancellationToken) =>
        Sync.Wait(GetSecretAsync(name, version, cancellationToken));

    /// <inheritdoc cref="GetSecretAsync(string, string, SecretContentType?, CancellationToken)"/>
    KeyVaultSecret GetSecret(string name, string? version = null, SecretContentType? outContentType = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetSecretAsync(name, version, outContentType, cancellationToken));

    /// <inheritdoc cref="UpdateSecretPropertiesAsync"/>
    SecretProperties UpdateSecretProperties(SecretProperties properties, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateSecretPropertiesAsync(properties, cancellationToken));

    /// <inheritdoc cref="GetPropertiesOfSecretsAsync"/>
    IEnumerable<SecretProperties> GetPropertiesOfSecrets(CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfSecretsAsync(cancellationToken), cancellationToken);

    /// <inheritdoc cref="GetPropertiesOfSecretVersionsAsync"/>
    IEnumerable<SecretProperties> GetPropertiesOfSecretVersions(string name, CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfSecretVersionsAsync(name, cancellationToken), cancellationToken);

    /// <inheritdoc cref="StartDeleteSecretAsync"/>
    DeleteSecretOperation StartDeleteSecret(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartDeleteSecretAsync(name, cancellationToken));

    /// <inheritdoc cref="GetDeletedSecretAsync"/>
    DeletedSecret GetDeletedSecret(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetDeletedSecretAsync(name, cancellationToken));

    /// <inheritdoc cref="GetDeletedSecretsAsync"/>
    IEnumerable<DeletedSecret> GetDeletedSecrets(CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetDeletedSecretsAsync(cancellationToken), cancellationToken);

    /// <inheritdoc cref="StartRecoverDeletedSecretAsync"/>
    RecoverDeletedSecretOperation StartRecoverDeletedSecret(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartRecoverDeletedSecretAsync(name, cancellationToken));

    /// <inheritdoc cref="PurgeDeletedSecretAsync"/>
    void PurgeDeletedSecret(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(PurgeDeletedSecretAsync(name, cancellationToken));

    /// <inheritdoc cref="BackupSecretAsync"/>
    byte[] BackupSecret(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(BackupSecretAsync(name, cancellationToken));

    /// <inheritdoc cref="RestoreSecretBackupAsync"/>
    SecretProperties RestoreSecretBackup(byte[] backup, CancellationToken cancellationToken = default) =>
        Sync.Wait(RestoreSecretBackupAsync(backup, cancellationToken));
}
