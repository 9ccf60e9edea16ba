namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// The error codes of HTTPS from a vault certificate, carried by <see cref="VaultException.ErrorCode"/>. Messages name
/// the certificate and why it cannot be served; the vault's own failure, when there is one, is the inner exception.
/// </summary>
public static class VaultHttpsErrorCodes
{
    /// <summary>
    /// The certificate cannot be served: not in the vault (404), disabled or refused (the vault's status), without a
    /// private key this process can use, not for server authentication, or before its NotBefore or past its NotAfter by
    /// the vault's clock (400), its certificate or key not loadable (500), the vault closed (503). After the start, the
    /// same code reports a version served that the vault no longer allows (disabled, deleted, expired).
    /// </summary>
    public static VaultErrorCode CertificateUnavailable { get; } = new("HttpsCertificateUnavailable");
}
