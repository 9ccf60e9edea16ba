namespace KeyVault.Embedded;

/// <summary>
/// What a backup holds, as <see cref="EmbeddedVault.VerifyBackupAsync(string, IRootKeyProvider, IProgress{VaultProgress}?, CancellationToken)"/>
/// found it: every record authenticated, every version's payload decrypted and its tag checked, the record set checked
/// against its authenticated manifest, the audit chain verified. A backup that fails any check is an exception, never a
/// report.
/// </summary>
public sealed record VaultBackupVerification
{
    /// <summary>The vault's id (a restored vault keeps it).</summary>
    public required Guid VaultId { get; init; }

    /// <summary>The vault's commit the backup shows.</summary>
    public required long Generation { get; init; }

    /// <summary>When the backup was made.</summary>
    public required DateTimeOffset CreatedOn { get; init; }

    /// <summary>How many stored records the backup holds (objects, versions, settings, keys, manifest).</summary>
    public required long RecordCount { get; init; }

    /// <summary>The backup's length in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>Secrets, active and deleted (a certificate's managed secret included).</summary>
    public required int Secrets { get; init; }

    /// <summary>Keys, active and deleted (a certificate's managed key included).</summary>
    public required int Keys { get; init; }

    /// <summary>Certificates, active and deleted.</summary>
    public required int Certificates { get; init; }

    /// <summary>Pending certificate operations.</summary>
    public required int CertificateOperations { get; init; }

    /// <summary>Of all the objects above, how many are deleted (recoverable until their scheduled purge date).</summary>
    public required int Deleted { get; init; }

    /// <summary>Versions of all objects, each decrypted and checked.</summary>
    public required long Versions { get; init; }

    /// <summary>Settings records (contacts, issuers, access control, audit blocks...).</summary>
    public required int Settings { get; init; }

    /// <summary>Audit records in the chain (0 when the vault never audited).</summary>
    public required long AuditRecords { get; init; }
}
