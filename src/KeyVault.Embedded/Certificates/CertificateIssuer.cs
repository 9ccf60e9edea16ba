namespace KeyVault.Embedded.Certificates;

/// <summary>
/// An issuer registered in the vault that policies can name. The provider <see cref="VaultCertificateProvider"/> is an
/// in-process CA: another certificate of this vault (with key usage keyCertSign) signs with its key. Any other provider
/// (DigiCert, GlobalSign, ...) is an outside CA: its account and organization are recorded, as Azure records them, but
/// this vault never reaches it, so a policy naming it is refused at issuance (name issuer <c>Unknown</c> and merge the
/// CA's certificate instead).
/// </summary>
public sealed class CertificateIssuer
{
    /// <summary>The provider of an in-process CA backed by a certificate of this vault.</summary>
    public const string VaultCertificateProvider = "VaultCertificate";

    /// <summary>Creates an issuer.</summary>
    /// <param name="name">The issuer's name, as policies will name it.</param>
    /// <param name="provider">The provider: <see cref="VaultCertificateProvider"/>, or an outside CA's name.</param>
    public CertificateIssuer(string name, string provider = VaultCertificateProvider)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Provider = provider;
    }

    /// <summary>The issuer's identifier: <c>{vault}/certificates/issuers/{name}</c>; null until read from the vault.</summary>
    public Uri? Id { get; internal set; }

    /// <summary>The issuer's name.</summary>
    public string Name { get; }

    /// <summary>The provider.</summary>
    public string Provider { get; }

    /// <summary>For <see cref="VaultCertificateProvider"/>: the name of the CA certificate in this vault whose key signs (its current version).</summary>
    public string? CertificateName { get; set; }

    /// <summary>For an outside CA: the account at the CA (Azure's <c>credentials.account_id</c>).</summary>
    public string? AccountId { get; set; }

    /// <summary>
    /// For an outside CA: the account's password. Accepted for Azure's shape and never stored: this vault does not reach
    /// outside CAs (and Azure never returns it either), so it is null on every issuer read back.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>For an outside CA: the organization's id at the CA.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>For an outside CA: the organization's administrators at the CA.</summary>
    public IList<AdministratorContact> AdministratorContacts { get; } = new List<AdministratorContact>();

    /// <summary>Whether the issuer may issue. Default true.</summary>
    public bool? Enabled { get; set; }

    /// <summary>When the issuer was registered.</summary>
    public DateTimeOffset? CreatedOn { get; internal set; }

    /// <summary>When the issuer last changed.</summary>
    public DateTimeOffset? UpdatedOn { get; internal set; }

    /// <summary>Name, provider and CA certificate.</summary>
    public override string ToString() => $"CertificateIssuer {{ Name = {Name}, Provider = {Provider}, CertificateName = {CertificateName} }}";
}
