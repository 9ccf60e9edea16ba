namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// The error codes of the PKCS#11 root and token keys, carried by <see cref="VaultException.ErrorCode"/>. Messages name
/// the module, token, key label or mechanism involved; never a PIN.
/// </summary>
public static class Pkcs11ErrorCodes
{
    /// <summary>The PKCS#11 module (shared library) could not be loaded.</summary>
    public static VaultErrorCode ModuleNotFound { get; } = new("Pkcs11ModuleNotFound");

    /// <summary>No token (or more than one) matches the configured label or slot.</summary>
    public static VaultErrorCode TokenNotFound { get; } = new("Pkcs11TokenNotFound");

    /// <summary>The token refused the PIN (or the PIN is locked).</summary>
    public static VaultErrorCode PinIncorrect { get; } = new("Pkcs11PinIncorrect");

    /// <summary>No AES key in the token matches the configured root key label or id.</summary>
    public static VaultErrorCode RootKeyNotFound { get; } = new("Pkcs11RootKeyNotFound");

    /// <summary>More than one AES key in the token matches the configured root key label or id.</summary>
    public static VaultErrorCode RootKeyAmbiguous { get; } = new("Pkcs11RootKeyAmbiguous");

    /// <summary>The root key could leave the token (extractable, or not sensitive): the library refuses it.</summary>
    public static VaultErrorCode RootKeyExtractable { get; } = new("Pkcs11RootKeyExtractable");

    /// <summary>The token lacks the mechanism (or the mechanism parameters) an operation needs.</summary>
    public static VaultErrorCode MechanismNotSupported { get; } = new("Pkcs11MechanismNotSupported");

    /// <summary>A token object the vault refers to is missing from the token.</summary>
    public static VaultErrorCode TokenObjectMissing { get; } = new("Pkcs11TokenObjectMissing");

    /// <summary>A token key could not be opened as an OpenSSL key (for a certificate's TLS use): the engine or its module registration is missing.</summary>
    public static VaultErrorCode NativeKeyUnavailable { get; } = new("Pkcs11NativeKeyUnavailable");

    /// <summary>The token failed an operation (the message names the PKCS#11 return value).</summary>
    public static VaultErrorCode TokenFailure { get; } = new("Pkcs11TokenFailure");
}
