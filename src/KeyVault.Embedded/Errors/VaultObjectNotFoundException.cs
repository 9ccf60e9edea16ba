namespace KeyVault.Embedded;

/// <summary>
/// No object (or no such version, or no such deleted object) exists under the name asked for.
/// Status 404, with a code such as <see cref="VaultErrorCode.SecretNotFound"/>.
/// </summary>
public sealed class VaultObjectNotFoundException : VaultException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The code, for example <see cref="VaultErrorCode.SecretNotFound"/>.</param>
    /// <param name="message">What was not found.</param>
    public VaultObjectNotFoundException(VaultErrorCode errorCode, string message)
        : base(errorCode, 404, message)
    {
    }
}
