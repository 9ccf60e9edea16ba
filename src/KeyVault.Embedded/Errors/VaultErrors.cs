using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded;

/// <summary>
/// Every message the vault puts in an exception comes from here, so that wording stays consistent and no
/// call site can leak a value: the factories take names, versions, sizes and rules, never content.
/// </summary>
internal static class VaultErrors
{
    public static VaultException BadParameter(string message, Exception? inner = null) =>
        new(VaultErrorCode.BadParameter, 400, message, inner);

    public static VaultObjectNotFoundException NotFound(ObjectType type, string name) =>
        new(type.NotFoundCode(), type == ObjectType.CertificateOperation
            ? $"Pending certificate not found: {name}" // Azure's words (its SDKs' tests compare them)
            : $"{type.DisplayName()} '{name}' was not found in this vault.");

    public static VaultObjectNotFoundException VersionNotFound(ObjectType type, string name, string version) =>
        new(type.NotFoundCode(), $"{type.DisplayName()} '{name}' has no version '{version}' in this vault.");

    public static VaultObjectNotFoundException DeletedNotFound(ObjectType type, string name) =>
        new(type.NotFoundCode(), $"Deleted {type.DisplayName().ToLowerInvariant()} '{name}' was not found in this vault.");

    public static VaultException Disabled(ObjectType type, string name, string operation) =>
        new(type == ObjectType.Secret ? VaultErrorCode.SecretDisabled : VaultErrorCode.Forbidden, 403,
            $"Operation '{operation}' is not allowed on a disabled {type.DisplayName().ToLowerInvariant()}: '{name}' is disabled.");

    public static VaultException KeyRefused(VaultErrorCode code, string name, string operation, string reason) =>
        new(code, 403, $"Operation '{operation}' is not allowed on key '{name}': {reason}.");

    public static VaultException ManagedByCertificate(ObjectType type, string name) =>
        new(VaultErrorCode.Forbidden, 403,
            $"{type.DisplayName()} '{name}' is managed by the certificate of the same name: it is read-only here; change it through the certificate store.");

    public static VaultException NameTakenByPlainObject(ObjectType type, string name) =>
        new(VaultErrorCode.Conflict, 409,
            $"A certificate cannot be named '{name}': a {type.DisplayName().ToLowerInvariant()} of that name exists, and a certificate's key and secret take its name.");

    public static VaultException NameTakenByCertificateRequest(ObjectType type, string name) =>
        new(VaultErrorCode.Conflict, 409,
            $"A {type.DisplayName().ToLowerInvariant()} cannot be named '{name}': a certificate of that name waits for its signed certificate (a pending operation), whose key and secret take the name.");

    public static VaultException OperationPending(string name) =>
        new(VaultErrorCode.Conflict, 409,
            $"Certificate '{name}' has a pending operation: merge its signed certificate, or cancel and delete the operation, before creating a new version.");

    public static VaultException OperationNotInProgress(string name, string? status) =>
        new(VaultErrorCode.Forbidden, 403, $"The operation of certificate '{name}' is {status}, not in progress: only an operation in progress can be cancelled.");

    public static VaultObjectNotFoundException ContactsNotFound() =>
        new(new VaultErrorCode("ContactsNotFound"), "Contacts not found: this vault has no certificate contacts.");

    public static VaultObjectNotFoundException IssuerNotFound(string name) =>
        new(new VaultErrorCode("CertificateIssuerNotFound"), "Issuer not found"); // Azure's words (its SDKs' tests compare them)

    public static VaultException DeletedButRecoverable(ObjectType type, string name) =>
        new(VaultErrorCode.ObjectIsDeletedButRecoverable, 409,
            $"{type.DisplayName()} '{name}' is currently in a deleted but recoverable state, and its name cannot be reused; " +
            "in this state, it can only be recovered or purged.");

    public static VaultException PurgeProtected(ObjectType type, string name, DateTimeOffset scheduledPurgeDate) =>
        new(VaultErrorCode.Forbidden, 403,
            $"Operation 'purge' is not allowed on {type.DisplayName().ToLowerInvariant()} '{name}' because purge protection is enabled " +
            $"for this vault; it will be purged automatically on {scheduledPurgeDate:u}.");

    public static VaultIntegrityException Integrity(ObjectType type, string name, string version, Exception? inner = null) =>
        new($"{type.DisplayName()} '{name}' version '{version}' failed its integrity check: the record was altered, moved or swapped on disk.", inner);

    public static VaultIntegrityException KeyEncryptionKeyMissing(int version) =>
        new($"The vault has no key-encryption key version {version}: the record or the key ring was altered on disk.");

    public static VaultException InUse(string path, Exception inner) =>
        new(VaultErrorCode.VaultInUse, 409,
            $"The vault file '{path}' is in use: another vault instance, in this or another process, has it open. One owner at a time.",
            inner);

    public static VaultException RootKeyMismatch(string detail, Exception? inner = null) =>
        new(VaultErrorCode.RootKeyMismatch, 401, $"The configured root key does not open this vault: {detail}. No object, key or setting in the vault was changed.", inner);

    public static VaultException RootKeyUnavailable(string detail, Exception? inner = null) =>
        new(VaultErrorCode.RootKeyUnavailable, 401, $"The root key is unavailable: {detail}.", inner);

    public static VaultException FormatInvalid(string path, string detail, Exception? inner = null) =>
        new(VaultErrorCode.VaultFormatInvalid, 500, $"'{path}' is not a vault this version can open: {detail}.", inner);

    public static VaultException StorageFailure(string detail, Exception? inner) =>
        new(VaultErrorCode.StorageFailure, 500, $"The vault's storage failed: {detail}.", inner);

    public static VaultException ChangedSinceRead(Lifecycle.ObjectType type, string name, string version) =>
        new(VaultErrorCode.Conflict, 409, $"The {type.ToString().ToLowerInvariant()} '{name}' version {version} was changed (by another caller or app instance) after these properties were read: nothing was changed. Read the properties again and apply the change to them.");

    public static VaultException StorageUnavailable(string detail, Exception? inner) =>
        new(VaultErrorCode.StorageUnavailable, 503, $"The vault's database is unavailable: {detail}. The vault reconnects by itself; try again.", inner);

    public static VaultException StorageFull(string location, Exception inner) =>
        new(VaultErrorCode.StorageFull, 507,
            $"The disk holding the vault '{location}' is full (no space left on device): the write was not made. Free space, then reopen the vault; it refuses writes until then.", inner);

    public static VaultException InsecureFile(string path, string problem, string fix) =>
        new(VaultErrorCode.InsecureFile, 403, $"The vault refuses the file '{path}': {problem}. Fix: {fix}.");

    /// <summary>A shared store (a database) found behind, or on another history than, what this instance saw.</summary>
    public static VaultException DatabaseRolledBack(string detail) =>
        new(VaultErrorCode.RollbackDetected, 409, $"The vault's database went back: {detail}. This instance refuses to write (its reads serve what it had verified): restore the database to its latest state, or reopen the vault to accept the database as it is now, knowing that acknowledged changes may be lost.");

    public static VaultException RollbackDetected(string detail) =>
        new(VaultErrorCode.RollbackDetected, 409,
            $"The vault was rolled back: {detail}. Someone put back an older copy of the vault's files, so acknowledged changes would be lost. " +
            "Restore the latest copy of the files (or a backup made after the anchor's generation); if an older copy is to be used deliberately, " +
            "move the anchor away (or delete the token's anchor object), open the vault once with no anchor configured and EmbeddedVaultOptions.DropRollbackAnchor set (kv: --drop-anchor), which unanchors it, then configure the anchor again, knowing that every change since is lost. Nothing was changed.");

    /// <summary>An anchored vault opened with no anchor configured, and not told to drop it.</summary>
    public static VaultException AnchorNotConfigured() =>
        new(VaultErrorCode.RollbackDetected, 409,
            "This vault is anchored, and no rollback anchor is configured, so an older copy of its files cannot be told from the latest. " +
            "Open it with its anchor (EmbeddedVaultOptions.AnchorPath, or Pkcs11RootKeyOptions.UseTokenAnchor; kv: --anchor-path, --token-anchor), " +
            "or set EmbeddedVaultOptions.DropRollbackAnchor (kv: --drop-anchor) for one open to stop anchoring it (then remove the anchor it leaves behind at once: it no longer matches the vault, and it still vouches for the files as they were before, so a copy of those put back would open with it). Nothing was changed.");

    public static VaultIntegrityException HeaderMissing(string path) =>
        new($"The vault file '{path}' holds a vault's records but no vault header: the header was removed, so the file was altered or damaged. " +
            "Restore the vault from a backup. Nothing was written (a new vault is never created over a damaged one's records).");

    public static VaultIntegrityException LogMissing(string path, string logPath) =>
        new($"The vault file '{path}' has no log file '{logPath}' beside it: the vault never deletes its log, so it was removed, and with it every change " +
            "since the last checkpoint. Put the log file back. (If the vault was closed cleanly before its files were copied, its log was empty: create an " +
            "empty file of that name with mode 0600 to open the copy.)");
}
