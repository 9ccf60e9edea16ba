namespace KeyVault.Embedded.Certificates;

/// <summary>What an evaluation of the certificates' lifetime actions did.</summary>
public sealed class CertificateLifetimeActionResults
{
    internal CertificateLifetimeActionResults(
        IReadOnlyList<KeyVaultCertificateWithPolicy> renewed,
        IReadOnlyList<CertificateProperties> nearExpiry,
        IReadOnlyList<CertificateContact> contacts,
        IReadOnlyDictionary<string, VaultException> failed)
    {
        Renewed = renewed;
        NearExpiry = nearExpiry;
        Contacts = contacts;
        Failed = failed;
    }

    /// <summary>The new versions made by AutoRenew actions.</summary>
    public IReadOnlyList<KeyVaultCertificateWithPolicy> Renewed { get; }

    /// <summary>Certificate versions whose EmailContacts action fired (each reported once).</summary>
    public IReadOnlyList<CertificateProperties> NearExpiry { get; }

    /// <summary>The vault's certificate contacts, to be told about <see cref="NearExpiry"/>.</summary>
    public IReadOnlyList<CertificateContact> Contacts { get; }

    /// <summary>
    /// Certificates whose AutoRenew was due but failed (for example, their issuer's CA certificate is disabled), by
    /// name. The others were still evaluated; a failed renewal is tried again on the next evaluation.
    /// </summary>
    public IReadOnlyDictionary<string, VaultException> Failed { get; }
}
