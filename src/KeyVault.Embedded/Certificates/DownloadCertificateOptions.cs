using System.Security.Cryptography.X509Certificates;

namespace KeyVault.Embedded.Certificates;

/// <summary>What <see cref="ICertificateStore.DownloadCertificateAsync(DownloadCertificateOptions, CancellationToken)"/> downloads.</summary>
public sealed class DownloadCertificateOptions
{
    /// <summary>Names the certificate to download (its current version unless <see cref="Version"/> is set).</summary>
    /// <param name="certificateName">The certificate's name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificateName"/> is null.</exception>
    public DownloadCertificateOptions(string certificateName)
    {
        ArgumentNullException.ThrowIfNull(certificateName);
        CertificateName = certificateName;
    }

    /// <summary>The certificate's name.</summary>
    public string CertificateName { get; }

    /// <summary>A version id, or null for the current version.</summary>
    public string? Version { get; set; }

    /// <summary>
    /// Azure's format for the secret the service reads the certificate from. The result is the same
    /// <see cref="X509Certificate2"/> either way, so any value of <see cref="CertificateContentType"/> is accepted.
    /// </summary>
    public CertificateContentType? OutContentType { get; set; }

    /// <summary>
    /// How the private key is held. The vault always returns the key in memory, never in a key store or file
    /// (<see cref="X509KeyStorageFlags.EphemeralKeySet"/>), and that key can be exported whatever the flags say (it was
    /// exportable from the vault already); so only <see cref="X509KeyStorageFlags.DefaultKeySet"/>,
    /// <see cref="X509KeyStorageFlags.EphemeralKeySet"/> and <see cref="X509KeyStorageFlags.Exportable"/> are accepted,
    /// and a flag that asks for a persisted or machine key set is refused.
    /// </summary>
    public X509KeyStorageFlags KeyStorageFlags { get; set; } = X509KeyStorageFlags.DefaultKeySet;

    /// <summary>Name and version.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"DownloadCertificateOptions {{ CertificateName = {CertificateName}, Version = {Version} }}";
}
