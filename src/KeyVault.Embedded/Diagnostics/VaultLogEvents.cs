using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Diagnostics;

/// <summary>
/// The stable event ids of the vault's log entries (category <c>KeyVault.Embedded</c>). Entries name operations,
/// object types, names, versions and error codes; never a value, key material, password or PIN.
/// </summary>
public static class VaultLogEvents
{
    /// <summary>A secret operation completed (Debug).</summary>
    public static readonly EventId SecretOperation = new(1001, nameof(SecretOperation));

    /// <summary>A key operation (including cryptography) completed (Debug).</summary>
    public static readonly EventId KeyOperation = new(1002, nameof(KeyOperation));

    /// <summary>A certificate operation completed (Debug).</summary>
    public static readonly EventId CertificateOperation = new(1003, nameof(CertificateOperation));

    /// <summary>A vault-level operation completed: purge due, key-encryption key or root rotation (Information).</summary>
    public static readonly EventId VaultOperation = new(1004, nameof(VaultOperation));

    /// <summary>An operation failed because the object does not exist (Debug: callers probe for names).</summary>
    public static readonly EventId NotFound = new(2001, nameof(NotFound));

    /// <summary>An operation was refused for bad input (Warning).</summary>
    public static readonly EventId BadParameter = new(2002, nameof(BadParameter));

    /// <summary>An operation was refused: disabled, not permitted, purge protected, managed by a certificate (Warning).</summary>
    public static readonly EventId Forbidden = new(2003, nameof(Forbidden));

    /// <summary>An operation conflicted with the object's state: deleted but recoverable, name taken, operation pending (Warning).</summary>
    public static readonly EventId Conflict = new(2004, nameof(Conflict));

    /// <summary>A record failed authentication: it was altered, moved or swapped on disk (Error).</summary>
    public static readonly EventId IntegrityFailure = new(2005, nameof(IntegrityFailure));

    /// <summary>The vault's storage failed or the vault refuses writes until reopened (Error).</summary>
    public static readonly EventId StorageFailure = new(2006, nameof(StorageFailure));

    /// <summary>Any other failure of an operation (Error).</summary>
    public static readonly EventId OperationFailed = new(2099, nameof(OperationFailed));

    /// <summary>The vault was opened (Information).</summary>
    public static readonly EventId VaultOpened = new(3001, nameof(VaultOpened));

    /// <summary>The vault was closed (Information).</summary>
    public static readonly EventId VaultClosed = new(3002, nameof(VaultClosed));

    /// <summary>An event observer threw; the change it observed stands (Error).</summary>
    public static readonly EventId ObserverFailed = new(3003, nameof(ObserverFailed));

    /// <summary>The background service finished a pass: purged, rotated, renewed, near-expiry and expired counts (Information).</summary>
    public static readonly EventId BackgroundPass = new(3101, nameof(BackgroundPass));

    /// <summary>A step of the background service failed; the others ran, and the step runs again next pass (Error).</summary>
    public static readonly EventId BackgroundStepFailed = new(3102, nameof(BackgroundStepFailed));

    /// <summary>An object's current version is near expiry (Warning).</summary>
    public static readonly EventId NearExpiry = new(3103, nameof(NearExpiry));

    /// <summary>An object's current version has expired (Warning).</summary>
    public static readonly EventId Expired = new(3104, nameof(Expired));

    /// <summary>The configuration provider loaded or reloaded the vault's secrets (Information).</summary>
    public static readonly EventId ConfigurationLoaded = new(3201, nameof(ConfigurationLoaded));

    /// <summary>The configuration provider failed to reload; the previous configuration stays (Error).</summary>
    public static readonly EventId ConfigurationReloadFailed = new(3202, nameof(ConfigurationReloadFailed));

    /// <summary>This instance caught its view up with commits other instances made to the shared store (Debug).</summary>
    public static readonly EventId CaughtUp = new(3301, nameof(CaughtUp));

    /// <summary>The shared store went back (a restored dump, a promoted replica missing commits): writes refused (Critical).</summary>
    public static readonly EventId RollbackRefused = new(3302, nameof(RollbackRefused));

    /// <summary>Catching up with the shared store failed; the instance keeps its verified view and tries again (Warning).</summary>
    public static readonly EventId CatchUpFailed = new(3303, nameof(CatchUpFailed));
}
