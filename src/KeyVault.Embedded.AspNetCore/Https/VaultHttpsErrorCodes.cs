namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// The error codes of HTTPS from a vault certificate, carried by <see cref="VaultException.ErrorCode"/>. Messages name
/// the certificate and why it cannot be served; the vault's own failure, when there is one, is the inner exception.
/// </summary>
public static class VaultHttpsErrorCodes
{
    /// <summary>
    /// The certificate cannot be served: not in the vault (404), disabled or refused (the vault's status), without a
    /// private key this process can use, or not for server authentication (400).
    /// </summary>
    public static VaultErrorCode CertificateUnavailable { get; } = new("HttpsCertificateUnavailable");
}
