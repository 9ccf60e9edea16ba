namespace KeyVault.Embedded;

/// <summary>
/// A sealed record failed authentication: its bytes were edited, or it was moved or swapped with another
/// record, on disk. The vault never returns data from such a record. Status 500, code
/// <see cref="VaultErrorCode.IntegrityCheckFailed"/>.
/// </summary>
public sealed class VaultIntegrityException : VaultException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which record failed (by name and version, never by content).</param>
    /// <param name="innerException">The cryptographic failure.</param>
    public VaultIntegrityException(string message, Exception? innerException = null)
        : base(VaultErrorCode.IntegrityCheckFailed, 500, message, innerException)
    {
    }
}
