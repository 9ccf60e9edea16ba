using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// Keys with Azure Key Vault's semantics: RSA, EC and oct keys (and their -HSM forms with a PKCS#11 root), created
/// in the vault or imported, versioned, soft-deleted and recoverable, rotated by hand or by policy. A get returns the
/// public key only; the private or symmetric key never leaves the vault (use <see cref="GetCryptographyClient"/>).
/// </summary>
/// <remarks>
/// <para>Delete and recover complete before the call returns (Azure's <c>StartDeleteKeyAsync</c> is a long-running
/// operation). Every change is on disk when its task completes. All members are thread-safe.</para>
/// <para>Errors: <c>BadParameter</c> (400) for input that breaks a rule, <see cref="VaultObjectNotFoundException"/>
/// (404, <c>KeyNotFound</c>), <c>ObjectIsDeletedButRecoverable</c> (409), <c>Forbidden</c> (403) for a refused purge.</para>
/// </remarks>
public interface IKeyStore
{
    /// <summary>The vault's identifier, the base of every key's <see cref="KeyVaultKey.Id"/>.</summary>
    Uri VaultUri { get; }

    /// <summary>Creates a key of the given type with default size or curve (RSA 2048, EC P-256, oct 256).</summary>
    /// <param name="name">The name: <c>^[0-9a-zA-Z-]{1,127}$</c>.</param>
    /// <param name="keyType">RSA, EC or oct (or an -HSM form).</param>
    /// <param name="options">Properties and allowed operations of the new key.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new key (public part).</returns>
    Task<KeyVaultKey> CreateKeyAsync(string name, KeyType keyType, CreateKeyOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Creates an RSA key (2048, 3072 or 4096 bits; exponent 65537).</summary>
    /// <param name="options">Name, size and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new key (public part).</returns>
    Task<KeyVaultKey> CreateRsaKeyAsync(CreateRsaKeyOptions options, CancellationToken cancellationToken = default);

    /// <summary>Creates an EC key (P-256, P-256K, P-384 or P-521).</summary>
    /// <param name="options">Name, curve and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new key (public part).</returns>
    Task<KeyVaultKey> CreateEcKeyAsync(CreateEcKeyOptions options, CancellationToken cancellationToken = default);

    /// <summary>Creates an oct (AES) key (128, 192 or 256 bits).</summary>
    /// <param name="options">Name, size and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new key (type and operations only: no material).</returns>
    Task<KeyVaultKey> CreateOctKeyAsync(CreateOctKeyOptions options, CancellationToken cancellationToken = default);

    /// <summary>Imports a key from a JSON Web Key that holds its private members (or, for oct, its key).</summary>
    /// <param name="name">The name.</param>
    /// <param name="key">The key. Build one from .NET objects or PEM with <see cref="JsonWebKey"/>'s constructors and <see cref="JsonWebKey.FromPem"/>.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The imported key (public part).</returns>
    Task<KeyVaultKey> ImportKeyAsync(string name, JsonWebKey key, CancellationToken cancellationToken = default);

    /// <summary>Imports a key with properties for its first version.</summary>
    /// <param name="options">Name, key and properties.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The imported key (public part).</returns>
    Task<KeyVaultKey> ImportKeyAsync(ImportKeyOptions options, CancellationToken cancellationToken = default);

    /// <summary>Gets the current version of a key, or the given version: public key and properties only.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">A version id, or null for the current version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key.</returns>
    Task<KeyVaultKey> GetKeyAsync(string name, string? version = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the current version's properties of every key that is not deleted.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The properties.</returns>
    IAsyncEnumerable<KeyProperties> GetPropertiesOfKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists the properties of every version of a key, oldest first.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The properties.</returns>
    IAsyncEnumerable<KeyProperties> GetPropertiesOfKeyVersionsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates one version's properties (enabled, notBefore, expiresOn, tags) and, when given, its allowed operations.
    /// Never the key material. Null fields stay as they are.
    /// </summary>
    /// <param name="properties">The name, optional version and new values.</param>
    /// <param name="keyOperations">New allowed operations, or null to keep them.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The updated key.</returns>
    Task<KeyVaultKey> UpdateKeyPropertiesAsync(KeyProperties properties, IEnumerable<KeyOperation>? keyOperations = null, CancellationToken cancellationToken = default);

    /// <summary>Soft-deletes a key with all its versions; the operation has completed when the call returns.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the deleted key.</returns>
    Task<DeleteKeyOperation> StartDeleteKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Gets a deleted key.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The deleted key.</returns>
    Task<DeletedKey> GetDeletedKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists the deleted keys.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The deleted keys.</returns>
    IAsyncEnumerable<DeletedKey> GetDeletedKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Recovers a deleted key with all its versions; the operation has completed when the call returns.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The completed operation; its value is the current version.</returns>
    Task<RecoverDeletedKeyOperation> StartRecoverDeletedKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Purges a deleted key for good; refused while purge protection holds it.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>A task that completes when the key is purged and the change is on disk.</returns>
    Task PurgeDeletedKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Backs up a key with every version (ids, key material, attributes, tags, rotation policy), as Azure's
    /// <c>BackupKeyAsync</c>: one blob, authenticated and encrypted under the vault's root, that
    /// <see cref="RestoreKeyBackupAsync"/> restores into this vault or any vault that shares the root. An HSM key's
    /// material never leaves its token: its blob carries the token reference, and restores only into a vault rooted in
    /// that token while the token object exists.
    /// </summary>
    /// <param name="name">The name of an active key (not one a certificate manages: back up the certificate).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The backup blob.</returns>
    /// <exception cref="VaultObjectNotFoundException">No active key has that name.</exception>
    /// <exception cref="VaultException"><c>Forbidden</c> for a certificate's key; <c>BadParameter</c> beyond 500 versions.</exception>
    Task<byte[]> BackupKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Restores a key from a blob of <see cref="BackupKeyAsync"/>, with its name, every version id and its rotation
    /// policy, as Azure's <c>RestoreKeyBackupAsync</c>. Refused when a key of that name exists, deleted ones included.
    /// </summary>
    /// <param name="backup">The blob.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The restored key (its current version).</returns>
    /// <exception cref="VaultException">
    /// <c>Conflict</c> when the name exists; <c>RootKeyMismatch</c> for a blob made under another root; <c>BadParameter</c>
    /// for bytes that are not a key backup, or an HSM key where the root is not its token. Nothing is written.
    /// </exception>
    /// <exception cref="VaultIntegrityException">The blob was altered.</exception>
    Task<KeyVaultKey> RestoreKeyBackupAsync(byte[] backup, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rotates a key: a new version of the same type, size or curve and operations becomes current; its expiry comes
    /// from the rotation policy's ExpiresIn, if any.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The new version.</returns>
    Task<KeyVaultKey> RotateKeyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Gets a key's rotation policy (Azure's default, notify 30 days before expiry, when none was set).</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The policy.</returns>
    Task<KeyRotationPolicy> GetKeyRotationPolicyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Sets a key's rotation policy, checked against Azure's rules (see <see cref="KeyRotationPolicy"/>).</summary>
    /// <param name="name">The name.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>The stored policy.</returns>
    Task<KeyRotationPolicy> UpdateKeyRotationPolicyAsync(string name, KeyRotationPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>
    /// Evaluates every key's rotation policy at the vault's current time: rotates the keys that are due, and reports
    /// (once per version) those due for a near-expiry notification. The hosting integration calls this on a schedule.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call before it writes.</param>
    /// <returns>What was rotated and what is near expiry.</returns>
    Task<KeyLifetimeActionResults> ApplyRotationPoliciesAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets cryptographically random bytes (1 to 128).</summary>
    /// <param name="count">How many bytes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The bytes.</returns>
    Task<byte[]> GetRandomBytesAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// A client for the cryptographic operations of one key (its current version, or the given one). The client
    /// loads the key once and reuses it; it follows the key's state (disabled, deleted, operations, dates, rotation).
    /// Dispose it to zero the key material it holds.
    /// </summary>
    /// <param name="keyName">The key's name.</param>
    /// <param name="keyVersion">A version id, or null to follow the current version.</param>
    /// <returns>The client. The key is looked up at the first operation.</returns>
    CryptographyClient GetCryptographyClient(string keyName, string? keyVersion = null);

    /// <inheritdoc cref="CreateKeyAsync"/>
    KeyVaultKey CreateKey(string name, KeyType keyType, CreateKeyOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(CreateKeyAsync(name, keyType, options, cancellationToken));

    /// <inheritdoc cref="CreateRsaKeyAsync"/>
    KeyVaultKey CreateRsaKey(CreateRsaKeyOptions options, CancellationToken cancellationToken = default) =>
        Sync.Wait(CreateRsaKeyAsync(options, cancellationToken));

    /// <inheritdoc cref="CreateEcKeyAsync"/>
    KeyVaultKey CreateEcKey(CreateEcKeyOptions options, CancellationToken cancellationToken = default) =>
        Sync.Wait(CreateEcKeyAsync(options, cancellationToken));

    /// <inheritdoc cref="CreateOctKeyAsync"/>
    KeyVaultKey CreateOctKey(CreateOctKeyOptions options, CancellationToken cancellationToken = default) =>
        Sync.Wait(CreateOctKeyAsync(options, cancellationToken));

    /// <inheritdoc cref="ImportKeyAsync(string, JsonWebKey, CancellationToken)"/>
    KeyVaultKey ImportKey(string name, JsonWebKey key, CancellationToken cancellationToken = default) =>
        Sync.Wait(ImportKeyAsync(name, key, cancellationToken));

    /// <inheritdoc cref="ImportKeyAsync(ImportKeyOptions, CancellationToken)"/>
    KeyVaultKey ImportKey(ImportKeyOptions options, CancellationToken cancellationToken = default) =>
        Sync.Wait(ImportKeyAsync(options, cancellationToken));

    /// <inheritdoc cref="GetKeyAsync"/>
    KeyVaultKey GetKey(string name, string? version = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetKeyAsync(name, version, cancellationToken));

    /// <inheritdoc cref="GetPropertiesOfKeysAsync"/>
    IEnumerable<KeyProperties> GetPropertiesOfKeys(CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfKeysAsync(cancellationToken), cancellationToken);

    /// <inheritdoc cref="GetPropertiesOfKeyVersionsAsync"/>
    IEnumerable<KeyProperties> GetPropertiesOfKeyVersions(string name, CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetPropertiesOfKeyVersionsAsync(name, cancellationToken), cancellationToken);

    /// <inheritdoc cref="UpdateKeyPropertiesAsync"/>
    KeyVaultKey UpdateKeyProperties(KeyProperties properties, IEnumerable<KeyOperation>? keyOperations = null, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateKeyPropertiesAsync(properties, keyOperations, cancellationToken));

    /// <inheritdoc cref="StartDeleteKeyAsync"/>
    DeleteKeyOperation StartDeleteKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartDeleteKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="GetDeletedKeyAsync"/>
    DeletedKey GetDeletedKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetDeletedKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="GetDeletedKeysAsync"/>
    IEnumerable<DeletedKey> GetDeletedKeys(CancellationToken cancellationToken = default) =>
        Sync.Enumerate(GetDeletedKeysAsync(cancellationToken), cancellationToken);

    /// <inheritdoc cref="StartRecoverDeletedKeyAsync"/>
    RecoverDeletedKeyOperation StartRecoverDeletedKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(StartRecoverDeletedKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="PurgeDeletedKeyAsync"/>
    void PurgeDeletedKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(PurgeDeletedKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="BackupKeyAsync"/>
    byte[] BackupKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(BackupKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="RestoreKeyBackupAsync"/>
    KeyVaultKey RestoreKeyBackup(byte[] backup, CancellationToken cancellationToken = default) =>
        Sync.Wait(RestoreKeyBackupAsync(backup, cancellationToken));

    /// <inheritdoc cref="RotateKeyAsync"/>
    KeyVaultKey RotateKey(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(RotateKeyAsync(name, cancellationToken));

    /// <inheritdoc cref="GetKeyRotationPolicyAsync"/>
    KeyRotationPolicy GetKeyRotationPolicy(string name, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetKeyRotationPolicyAsync(name, cancellationToken));

    /// <inheritdoc cref="UpdateKeyRotationPolicyAsync"/>
    KeyRotationPolicy UpdateKeyRotationPolicy(string name, KeyRotationPolicy policy, CancellationToken cancellationToken = default) =>
        Sync.Wait(UpdateKeyRotationPolicyAsync(name, policy, cancellationToken));

    /// <inheritdoc cref="ApplyRotationPoliciesAsync"/>
    KeyLifetimeActionResults ApplyRotationPolicies(CancellationToken cancellationToken = default) =>
        Sync.Wait(ApplyRotationPoliciesAsync(cancellationToken));

    /// <inheritdoc cref="GetRandomBytesAsync"/>
    byte[] GetRandomBytes(int count, CancellationToken cancellationToken = default) =>
        Sync.Wait(GetRandomBytesAsync(count, cancellationToken));
}
