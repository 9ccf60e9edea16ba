namespace KeyVault.Embedded;

/// <summary>What <see cref="EmbeddedVault.ExportAsync"/> takes from the vault.</summary>
/// <remarks>
/// With all three name lists null (the default) the export holds the whole vault's objects. Set one or more to export
/// only the named objects (a certificate always with its managed key and secret and its pending operation).
/// </remarks>
public sealed class VaultExportOptions
{
    /// <summary>The secrets to export (not those a certificate manages), or null.</summary>
    public IList<string>? SecretNames { get; set; }

    /// <summary>The keys to export (not those a certificate manages), or null.</summary>
    public IList<string>? KeyNames { get; set; }

    /// <summary>The certificates to export, or null.</summary>
    public IList<string>? CertificateNames { get; set; }

    /// <summary>
    /// Whether deleted objects come along, with their deletion and scheduled purge dates, to be imported as deleted
    /// (and recoverable) objects. Default true. Named objects must be active.
    /// </summary>
    public bool IncludeDeleted { get; set; } = true;

    internal bool Whole => SecretNames is null && KeyNames is null && CertificateNames is null;
}

/// <summary>What an export wrote, or an import restored.</summary>
/// <param name="Objects">Objects (a certificate's managed key and secret and its pending operation count as objects of their own).</param>
/// <param name="Versions">Versions of all of them.</param>
/// <param name="Bytes">The export's length in bytes.</param>
public sealed record VaultTransferResult(int Objects, long Versions, long Bytes);
