namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate to import: PKCS#12 (PFX) bytes, or PEM text (certificate, PKCS#8 private key, optional chain) as UTF-8 bytes.</summary>
public sealed class ImportCertificateOptions
{
    private Dictionary<string, string>? _tags;

    /// <summary>Creates import options.</summary>
    /// <param name="name">The certificate's name.</param>
    /// <param name="certificate">PFX bytes, or PEM text as UTF-8.</param>
    public ImportCertificateOptions(string name, byte[] certificate)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(certificate);
        Name = name;
        Certificate = certificate;
    }

    /// <summary>The certificate's name.</summary>
    public string Name { get; }

    /// <summary>PFX bytes, or PEM text as UTF-8.</summary>
    public byte[] Certificate { get; }

    /// <summary>The PFX password, if any. Never logged or shown.</summary>
    public string? Password { get; set; }

    /// <summary>The policy to keep; by default one derived from the certificate (issuer Unknown).</summary>
    public CertificatePolicy? Policy { get; set; }

    /// <summary>Whether the imported version is enabled. Default true.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Up to 15 tags.</summary>
    public IDictionary<string, string> Tags => _tags ??= new Dictionary<string, string>(StringComparer.Ordinal);

    internal IReadOnlyDictionary<string, string>? TagsOrNull => _tags;

    /// <summary>The name; never the certificate or password.</summary>
    public override string ToString() => $"ImportCertificateOptions {{ Name = {Name} }}";
}
