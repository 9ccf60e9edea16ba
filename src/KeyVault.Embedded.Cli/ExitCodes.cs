namespace KeyVault.Embedded.Cli;

/// <summary>
/// The process exit codes, one per kind of failure, so that scripts can branch on them. Stable: they are documented in
/// the README and a code never changes meaning.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int GeneralFailure = 1;
    public const int UsageError = 2;
    public const int NotFound = 3;
    public const int Forbidden = 4;
    public const int Conflict = 5;
    public const int BadParameter = 6;
    public const int IntegrityFailure = 7;
    public const int RootKeyProblem = 8;
    public const int StorageUnavailable = 9;

    /// <summary>The PKCS#11 faults that mean the root itself cannot be had: module, token, PIN, root key.</summary>
    private static readonly HashSet<VaultErrorCode> RootTokenCodes =
    [
        Pkcs11.Pkcs11ErrorCodes.ModuleNotFound,
        Pkcs11.Pkcs11ErrorCodes.TokenNotFound,
        Pkcs11.Pkcs11ErrorCodes.PinIncorrect,
        Pkcs11.Pkcs11ErrorCodes.RootKeyNotFound,
        Pkcs11.Pkcs11ErrorCodes.RootKeyAmbiguous,
        Pkcs11.Pkcs11ErrorCodes.RootKeyExtractable,
    ];

    /// <summary>
    /// The code for a vault error: by error code first (a root (a token's module, PIN or key included), integrity or
    /// storage fault says more than its HTTP-like
    /// status, and <c>VaultInUse</c> and <c>RollbackDetected</c> carry 409 like a name conflict), then by status.
    /// </summary>
    public static int For(VaultException exception)
    {
        var code = exception.ErrorCode;
        if (code == VaultErrorCode.RootKeyMismatch || code == VaultErrorCode.RootKeyUnavailable || RootTokenCodes.Contains(code))
        {
            return RootKeyProblem;
        }

        if (code == VaultErrorCode.IntegrityCheckFailed || code == VaultErrorCode.RollbackDetected || code == VaultErrorCode.VaultFormatInvalid)
        {
            return IntegrityFailure;
        }

        if (code == VaultErrorCode.VaultInUse || code == VaultErrorCode.StorageUnavailable || code == VaultErrorCode.StorageFailure || code == VaultErrorCode.StorageFull)
        {
            return StorageUnavailable;
        }

        return exception.Status switch
        {
            400 => BadParameter,
            401 or 403 => Forbidden,
            404 => NotFound,
            409 => Conflict,
            _ => GeneralFailure,
        };
    }
}
