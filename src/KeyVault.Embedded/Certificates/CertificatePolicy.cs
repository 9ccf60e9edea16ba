namespace KeyVault.Embedded.Certificates;

/// <summary>
/// How a certificate is made and renewed: its key, its subject and extensions, its issuer, its validity, the form of
/// its managed secret, and its lifetime actions. Azure Key Vault's defaults: RSA 2048, exportable, new key on renewal,
/// PKCS#12, 12 months, key usages digitalSignature and keyEncipherment (RSA) or digitalSignature (EC), extended key
/// usages serverAuth and clientAuth, AutoRenew at 80% of the lifetime.
/// </summary>
public sealed class CertificatePolicy
{
    /// <summary>Creates a policy with a subject.</summary>
    /// <param name="issuerName"><see cref="WellKnownIssuerNames.Self"/>, <see cref="WellKnownIssuerNames.Unknown"/>, or an issuer registered in the vault.</param>
    /// <param name="subject">The subject distinguished name, for example <c>CN=api.example.com, O=Contoso</c>.</param>
    public CertificatePolicy(string issuerName, string subject)
    {
        IssuerName = issuerName;
        Subject = subject;
    }

    /// <summary>Creates a policy with subject alternative names (and no subject).</summary>
    /// <param name="issuerName">The issuer.</param>
    /// <param name="subjectAlternativeNames">The names.</param>
    public CertificatePolicy(string issuerName, SubjectAlternativeNames subjectAlternativeNames)
    {
        IssuerName = issuerName;
        SubjectAlternativeNames = subjectAlternativeNames;
    }

    /// <summary>Creates a policy with a subject and subject alternative names.</summary>
    /// <param name="issuerName">The issuer.</param>
    /// <param name="subject">The subject distinguished name.</param>
    /// <param name="subjectAlternativeNames">The names.</param>
    public CertificatePolicy(string issuerName, string subject, SubjectAlternativeNames subjectAlternativeNames)
    {
        IssuerName = issuerName;
        Subject = subject;
        SubjectAlternativeNames = subjectAlternativeNames;
    }

    /// <summary>A self-signed policy for <c>CN=DefaultPolicy</c>, as Azure's.</summary>
    public static CertificatePolicy Default => new(WellKnownIssuerNames.Self, "CN=DefaultPolicy");

    /// <summary>The issuer: Self, Unknown, or the name of an issuer registered with <see cref="ICertificateStore.CreateIssuerAsync"/>.</summary>
    public string IssuerName { get; set; }

    /// <summary>The subject distinguished name.</summary>
    public string? Subject { get; set; }

    /// <summary>The subject alternative names.</summary>
    public SubjectAlternativeNames? SubjectAlternativeNames { get; set; }

    /// <summary>RSA (default), EC, or their -HSM forms.</summary>
    public CertificateKeyType? KeyType { get; set; }

    /// <summary>RSA size in bits: 2048 (default), 3072 or 4096.</summary>
    public int? KeySize { get; set; }

    /// <summary>EC curve: P-256 (default), P-256K, P-384 or P-521.</summary>
    public CertificateKeyCurveName? KeyCurveName { get; set; }

    /// <summary>Whether the private key may be exported (in the managed secret and downloads). Default true; never for -HSM keys.</summary>
    public bool? Exportable { get; set; }

    /// <summary>Whether renewal keeps the same key. Default false: a new key each version.</summary>
    public bool? ReuseKey { get; set; }

    /// <summary>The managed secret's form: PKCS#12 (default) or PEM.</summary>
    public CertificateContentType? ContentType { get; set; }

    /// <summary>Validity of each version in months, 1 to 1200. Default 12.</summary>
    public int? ValidityInMonths { get; set; }

    /// <summary>Whether new versions are enabled. Default true.</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// Whether the issuer should log the certificate in Certificate Transparency logs (Azure's
    /// <c>issuer.cert_transparency</c>). Kept and returned; the vault's own issuers (Self, its CA) log nowhere.
    /// </summary>
    public bool? CertificateTransparency { get; set; }

    /// <summary>The certificate type the issuer is asked for, for example <c>OV-SSL</c> (Azure's <c>issuer.cty</c>). Kept and returned.</summary>
    public string? CertificateType { get; set; }

    /// <summary>Key usages (RFC 5280). <c>keyCertSign</c> makes the certificate a CA (basic constraints CA true).</summary>
    public IList<CertificateKeyUsage> KeyUsage { get; } = [];

    /// <summary>Extended key usages as object identifiers, for example <c>1.3.6.1.5.5.7.3.1</c> (serverAuth).</summary>
    public IList<string> EnhancedKeyUsage { get; } = [];

    /// <summary>At most one lifetime action.</summary>
    public IList<LifetimeAction> LifetimeActions { get; } = [];

    /// <summary>When the policy was first set.</summary>
    public DateTimeOffset? CreatedOn { get; internal set; }

    /// <summary>When the policy last changed.</summary>
    public DateTimeOffset? UpdatedOn { get; internal set; }

    /// <summary>Issuer and subject.</summary>
    public override string ToString() => $"CertificatePolicy {{ Issuer = {IssuerName}, Subject = {Subject}, KeyType = {KeyType} }}";
}
