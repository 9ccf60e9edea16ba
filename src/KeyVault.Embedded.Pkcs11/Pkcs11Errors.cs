using Net.Pkcs11Interop.Common;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>Every message of the PKCS#11 package in one place; none carries a PIN or key material.</summary>
internal static class Pkcs11Errors
{
    public static VaultException ModuleNotFound(string path, Exception inner) =>
        new(Pkcs11ErrorCodes.ModuleNotFound, 500, $"The PKCS#11 module '{path}' could not be loaded (is it installed, and built for this platform?). No object, key or setting in the vault was changed.", inner);

    public static VaultException TokenNotFound(string what) =>
        new(Pkcs11ErrorCodes.TokenNotFound, 404, $"No single PKCS#11 token matches {what}. No object, key or setting in the vault was changed.");

    public static VaultException PinIncorrect(string token, CKR rv, Exception inner) =>
        new(Pkcs11ErrorCodes.PinIncorrect, 401, $"Token '{token}' refused the PIN ({rv}). No object, key or setting in the vault was changed.", inner);

    public static VaultException PinUnverifiable(string token) =>
        new(Pkcs11ErrorCodes.PinIncorrect, 401,
            $"Token '{token}' is logged in already by code of this process outside the vault, so the PIN given cannot be checked; the vault refuses to trust it unchecked. No object, key or setting in the vault was changed.");

    public static VaultException RootKeyNotFound(string token, string key) =>
        new(Pkcs11ErrorCodes.RootKeyNotFound, 404, $"Token '{token}' has no AES key {key}. No object, key or setting in the vault was changed.");

    public static VaultException RootKeyAmbiguous(string token, string key, int count) =>
        new(Pkcs11ErrorCodes.RootKeyAmbiguous, 409, $"Token '{token}' has {count} AES keys {key}: the root key must be unique. No object, key or setting in the vault was changed.");

    public static VaultException RootKeyLabelTaken(string token, string key, int count) =>
        new(Pkcs11ErrorCodes.RootKeyAmbiguous, 409,
            $"Token '{token}' already has {(count == 1 ? "an AES key" : $"{count} AES keys")} {key}: a new root key is not generated beside it, since a root key must be unique. Choose another label. Nothing was generated.");

    public static VaultException RootKeyExtractable(string token, string key) =>
        new(Pkcs11ErrorCodes.RootKeyExtractable, 400,
            $"The AES key {key} in token '{token}' could leave the token (it is extractable or not sensitive): a root key must be sensitive and non-extractable. No object, key or setting in the vault was changed.");

    public static VaultException MechanismNotSupported(string token, string mechanism, string purpose) =>
        new(Pkcs11ErrorCodes.MechanismNotSupported, 400, $"Token '{token}' does not support {mechanism}, which {purpose} needs.");

    public static VaultException ObjectMissing(string token, string reference) =>
        new(Pkcs11ErrorCodes.TokenObjectMissing, 404, $"Token '{token}' has no object '{reference}' that the vault refers to: it was deleted from the token outside the vault.");

    public static VaultException NativeKeyUnavailable(string token, string reason, Exception? inner = null) =>
        new(Pkcs11ErrorCodes.NativeKeyUnavailable, 500,
            $"A key of token '{token}' cannot be opened as an OpenSSL key: {reason}. Certificates with token keys are handed to TLS through OpenSSL's pkcs11 engine: " +
            "install libp11's engine (Debian: apt-get install libengine-pkcs11-openssl) and register the token's module with p11-kit (/usr/share/p11-kit/modules).", inner);

    public static VaultException TokenFailure(string token, string operation, Pkcs11Exception inner) =>
        new(Pkcs11ErrorCodes.TokenFailure, 500, $"Token '{token}' failed {operation}: {inner.RV}.", inner);
}
