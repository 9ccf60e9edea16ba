namespace KeyVault.Embedded;

/// <summary>
/// The one exception family of the vault. Every failure the vault reports carries a stable
/// <see cref="ErrorCode"/> and an HTTP-like <see cref="Status"/> modelled on Azure Key Vault's
/// <c>RequestFailedException</c>, so handling written for Azure carries over. Messages name the rule that
/// was broken and the object involved; they never contain a secret value, key material, a passphrase or a PIN.
/// </summary>
/// <remarks>
/// Subclasses exist only where callers catch differently: <see cref="VaultObjectNotFoundException"/> and
/// <see cref="VaultIntegrityException"/>. Everything else is told apart by <see cref="ErrorCode"/>.
/// </remarks>
public class VaultException : Exception
{
    /// <summary>Creates an exception with a code, an HTTP-like status and a message.</summary>
    /// <param name="errorCode">The stable code.</param>
    /// <param name="status">The HTTP status Azure would return (400, 403, 404, 409, 500...).</param>
    /// <param name="message">What failed and which rule was broken. Must not contain secret data.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public VaultException(VaultErrorCode errorCode, int status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        Status = status;
    }

    /// <summary>The stable error code, for example <see cref="VaultErrorCode.SecretNotFound"/>.</summary>
    public VaultErrorCode ErrorCode { get; }

    /// <summary>The HTTP status Azure Key Vault would return for the same failure.</summary>
    public int Status { get; }

    /// <summary>
    /// Azure's inner error code, where Azure gives one: <see cref="VaultErrorCode.ForbiddenByRbac"/> or
    /// <see cref="VaultErrorCode.AccessDenied"/> for a caller refused by access control.
    /// </summary>
    public VaultErrorCode? InnerErrorCode { get; init; }

    /// <summary>
    /// The exception with its error code and status first (<c>KeyVault.Embedded.VaultException: SecretNotFound (404): …</c>,
    /// with the inner code when there is one), then the message, inner exceptions and stack trace as usual. Messages
    /// never hold a secret value.
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var full = base.ToString();
        var code = InnerErrorCode is { } inner ? $"{ErrorCode}/{inner} ({Status})" : $"{ErrorCode} ({Status})";
        var prefix = GetType().FullName + ": ";
        return full.StartsWith(prefix, StringComparison.Ordinal) ? $"{prefix}{code}: {full[prefix.Length..]}" : $"{code}: {full}";
    }
}
