namespace KeyVault.Embedded.Certificates;

/// <summary>The signed certificate (DER, then its issuing chain) that completes a pending certificate operation.</summary>
public sealed class MergeCertificateOptions
{
    private Dictionary<string, string>? _tags;

    /// <summary>Creates merge options.</summary>
    /// <param name="name">The certificate's name.</param>
    /// <param name="x509Certificates">The signed certificate first, then its chain, each DER (or PEM) encoded.</param>
    public MergeCertificateOptions(string name, IEnumerable<byte[]> x509Certificates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(x509Certificates);
        Name = name;
        X509Certificates = x509Certificates.ToList();
    }

    /// <summary>The certificate's name.</summary>
    public string Name { get; }

    /// <summary>The signed certificate first, then its chain.</summary>
    public IReadOnlyList<byte[]> X509Certificates { get; }

    /// <summary>Whether the merged version is enabled; default as the policy says.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Up to 15 tags.</summary>
    public IDictionary<string, string> Tags => _tags ??= new Dictionary<string, string>(StringComparer.Ordinal);

    internal IReadOnlyDictionary<string, string>? TagsOrNull => _tags;
}
