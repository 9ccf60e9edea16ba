namespace KeyVault.Embedded;

/// <summary>
/// A stable, machine-readable error code carried by every <see cref="VaultException"/>. Codes follow
/// Azure Key Vault's where Azure has one (<c>SecretNotFound</c>, <c>BadParameter</c>, <c>Forbidden</c>,
/// <c>Conflict</c>); codes that only exist in-process (<c>VaultInUse</c>, <c>RootKeyMismatch</c>) are
/// named in the same style. The set is extensible: compare with the static members, never with text.
/// </summary>
public readonly struct VaultErrorCode : IEquatable<VaultErrorCode>
{
    private readonly string? _value;

    /// <summary>Creates a code from its string form.</summary>
    /// <param name="value">The code, for example <c>SecretNotFound</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> is null or empty.</exception>
    public VaultErrorCode(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = value;
    }

    /// <summary>An argument broke a documented rule (name, size, tag, date, option). HTTP 400 in Azure.</summary>
    public static VaultErrorCode BadParameter { get; } = new("BadParameter");

    /// <summary>No secret (or no such version of it) exists under that name. HTTP 404 in Azure.</summary>
    public static VaultErrorCode SecretNotFound { get; } = new("SecretNotFound");

    /// <summary>The operation is not allowed in the object's or vault's current state. HTTP 403 in Azure.</summary>
    public static VaultErrorCode Forbidden { get; } = new("Forbidden");

    /// <summary>Inner code of <see cref="Forbidden"/>: no role assignment grants the caller the operation's data action at its scope.</summary>
    public static VaultErrorCode ForbiddenByRbac { get; } = new("ForbiddenByRbac");

    /// <summary>Inner code of <see cref="Forbidden"/>: the caller's access policy lacks the operation's permission.</summary>
    public static VaultErrorCode AccessDenied { get; } = new("AccessDenied");

    /// <summary>The secret version is disabled, so its value cannot be read. HTTP 403 in Azure.</summary>
    public static VaultErrorCode SecretDisabled { get; } = new("SecretDisabled");

    /// <summary>The key version is disabled, so it does nothing. HTTP 403.</summary>
    public static VaultErrorCode KeyDisabled { get; } = new("KeyDisabled");

    /// <summary>The key's allowed operations (<c>key_ops</c>) do not include the operation asked for. HTTP 403.</summary>
    public static VaultErrorCode OperationNotPermitted { get; } = new("OperationNotPermitted");

    /// <summary>The key is past its expiresOn: it only decrypts, unwraps and verifies. HTTP 403.</summary>
    public static VaultErrorCode KeyExpired { get; } = new("KeyExpired");

    /// <summary>The key is before its notBefore: it only decrypts, unwraps and verifies. HTTP 403.</summary>
    public static VaultErrorCode KeyNotYetValid { get; } = new("KeyNotYetValid");

    /// <summary>The request conflicts with the current state of the object. HTTP 409 in Azure.</summary>
    public static VaultErrorCode Conflict { get; } = new("Conflict");

    /// <summary>
    /// The name belongs to a soft-deleted object: it cannot be reused until that object is recovered or
    /// purged. HTTP 409 in Azure.
    /// </summary>
    public static VaultErrorCode ObjectIsDeletedButRecoverable { get; } = new("ObjectIsDeletedButRecoverable");

    /// <summary>A sealed record failed its integrity check: it was moved, swapped or edited on disk.</summary>
    public static VaultErrorCode IntegrityCheckFailed { get; } = new("IntegrityCheckFailed");

    /// <summary>Another owner (this or another process) has the vault file open.</summary>
    public static VaultErrorCode VaultInUse { get; } = new("VaultInUse");

    /// <summary>The configured root key does not open this vault (wrong key, passphrase or kind of root).</summary>
    public static VaultErrorCode RootKeyMismatch { get; } = new("RootKeyMismatch");

    /// <summary>The configured root key could not be obtained (missing file or variable, wrong length).</summary>
    public static VaultErrorCode RootKeyUnavailable { get; } = new("RootKeyUnavailable");

    /// <summary>The file is not a vault, or a vault of a format this version cannot read.</summary>
    public static VaultErrorCode VaultFormatInvalid { get; } = new("VaultFormatInvalid");

    /// <summary>The vault's storage failed to read or write.</summary>
    public static VaultErrorCode StorageFailure { get; } = new("StorageFailure");

    /// <summary>
    /// The vault's shared store (a PostgreSQL database) cannot be reached, or the connection was lost during the call
    /// (status 503). Transient: the vault reconnects by itself; the call can be retried. A write that fails with it was
    /// not committed, unless the message says its outcome is unknown (the connection was lost while committing): then
    /// read before writing again.
    /// </summary>
    public static VaultErrorCode StorageUnavailable { get; } = new("StorageUnavailable");

    /// <summary>The disk holding the vault is full: the write was not made. Free space and reopen the vault.</summary>
    public static VaultErrorCode StorageFull { get; } = new("StorageFull");

    /// <summary>
    /// The vault's files are older than its rollback anchor says they must be: an older copy of the vault was put back
    /// (or the anchor belongs to another vault). Nothing was opened or changed.
    /// </summary>
    public static VaultErrorCode RollbackDetected { get; } = new("RollbackDetected");

    /// <summary>A vault, log, key or anchor file is a symbolic link, belongs to another user, or is open to group or others.</summary>
    public static VaultErrorCode InsecureFile { get; } = new("InsecureFile");

    /// <summary>Returns true when both codes have the same text.</summary>
    public static bool operator ==(VaultErrorCode left, VaultErrorCode right) => left.Equals(right);

    /// <summary>Returns true when the codes differ.</summary>
    public static bool operator !=(VaultErrorCode left, VaultErrorCode right) => !left.Equals(right);

    /// <summary>Converts a string to a code.</summary>
    public static implicit operator VaultErrorCode(string value) => new(value);

    /// <inheritdoc />
    public bool Equals(VaultErrorCode other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is VaultErrorCode other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>The code's text, for example <c>SecretNotFound</c>.</summary>
    public override string ToString() => _value ?? string.Empty;
}
