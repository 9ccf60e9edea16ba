using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded;

// Backup, verification, restore, and the portable export and import of a vault.
public sealed partial class EmbeddedVault
{
    /// <summary>
    /// Writes an online, consistent backup of the whole vault to a new file: every object and version, deleted objects
    /// with their dates, settings, access control, the audit trail and the key-encryption key wraps, exactly as of one
    /// commit, while the vault keeps serving (readers never wait; a writer waits at most for one batch of the backup's
    /// reads). The file is written under a temporary name, fsynced, and renamed only when complete. Its records stay
    /// sealed as in the vault, and a MAC under the vault's key hierarchy covers every byte: it restores only with this
    /// vault's root (see <see cref="RestoreAsync(string, EmbeddedVaultOptions, VaultRestoreOptions?, IProgress{VaultProgress}?, CancellationToken)"/>).
    /// </summary>
    /// <param name="path">The backup file to create; it must not exist.</param>
    /// <param name="progress">Receives records written of records in the backup, and bytes.</param>
    /// <param name="cancellationToken">Cancels the backup: no file is left.</param>
    /// <returns>The generation backed up, counts, and the longest a writer waited.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when the path exists; <c>StorageFailure</c> when it cannot be written.</exception>
    public Task<VaultBackupResult> BackupAsync(string path, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return _operations.RunAsync(VaultOperation.VaultBackup, null, null, (_core, path, progress, cancellationToken), static s =>
            new ValueTask<VaultBackupResult>(Backup.VaultBackups.BackupAsync(s._core, s.path, s.progress, s.cancellationToken)), cancellationToken).AsTask();
    }

    /// <summary>Writes an online, consistent backup of the whole vault to <paramref name="destination"/> (see <see cref="BackupAsync(string, IProgress{VaultProgress}?, CancellationToken)"/>).</summary>
    /// <param name="destination">Where to write (left open); a stream that is cut short holds a backup that fails verification.</param>
    /// <param name="progress">Receives records written of records in the backup, and bytes.</param>
    /// <param name="cancellationToken">Cancels the backup.</param>
    /// <returns>The generation backed up, counts, and the longest a writer waited.</returns>
    public Task<VaultBackupResult> BackupAsync(Stream destination, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return _operations.RunAsync(VaultOperation.VaultBackup, null, null, (_core, destination, progress, cancellationToken), static s =>
            new ValueTask<VaultBackupResult>(Backup.VaultBackups.BackupAsync(s._core, s.destination, s.progress, s.cancellationToken)), cancellationToken).AsTask();
    }

    /// <summary>
    /// Checks a whole-vault backup without restoring it: its MAC over every byte, every record against the backup's
    /// authenticated manifest (the record set commitment), every version decrypted and its tag checked, the audit chain.
    /// </summary>
    /// <param name="path">The backup file.</param>
    /// <param name="rootKey">The root of the vault that made it.</param>
    /// <param name="progress">Receives bytes read, then versions checked.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What the backup holds.</returns>
    /// <exception cref="VaultIntegrityException">Any byte of the backup was altered, removed or added, or it is cut short.</exception>
    /// <exception cref="VaultException"><c>RootKeyMismatch</c> for another root; <c>VaultFormatInvalid</c> for a file that is no vault backup.</exception>
    public static async Task<VaultBackupVerification> VerifyBackupAsync(string path, IRootKeyProvider rootKey, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        var stream = OpenBackup(path);
        await using (stream.ConfigureAwait(false))
        {
            return await Backup.VaultBackups.VerifyAsync(stream, Path.GetFullPath(path), rootKey, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks a whole-vault backup read from <paramref name="backup"/> (see <see cref="VerifyBackupAsync(string, IRootKeyProvider, IProgress{VaultProgress}?, CancellationToken)"/>).</summary>
    /// <param name="backup">The backup's bytes (read to the end, left open).</param>
    /// <param name="rootKey">The root of the vault that made it.</param>
    /// <param name="progress">Receives bytes read, then versions checked.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What the backup holds.</returns>
    public static Task<VaultBackupVerification> VerifyBackupAsync(Stream backup, IRootKeyProvider rootKey, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backup);
        ArgumentNullException.ThrowIfNull(rootKey);
        return Backup.VaultBackups.VerifyAsync(backup, "stream", rootKey, progress, cancellationToken);
    }

    /// <summary>
    /// Restores a whole-vault backup into a new vault file at <paramref name="options"/>' path, never over an existing
    /// one: the backup is verified whole first (as <see cref="VerifyBackupAsync(string, IRootKeyProvider, IProgress{VaultProgress}?, CancellationToken)"/>),
    /// the files are written beside the target and moved into place, the rollback anchor the options name is re-seeded
    /// at the backup's generation, and the restored vault is opened once (then closed) to prove it. The restored vault
    /// keeps the vault id, every object, version and setting, the access control and the audit trail; it opens with the
    /// root the backup was made under.
    /// </summary>
    /// <param name="backupPath">The backup file.</param>
    /// <param name="options">The new vault's path, root (the backup's) and anchor; the options it is then opened with.</param>
    /// <param name="restoreOptions">Whether an anchor that records this vault may be taken over; null for the defaults (it may not).</param>
    /// <param name="progress">Receives bytes read, then versions checked.</param>
    /// <param name="cancellationToken">Cancels before the new files are written: nothing is left.</param>
    /// <returns>What the backup held.</returns>
    /// <exception cref="VaultException">
    /// <c>Conflict</c> when the target's files exist, or its anchor is another vault's; <c>RollbackDetected</c> when its
    /// anchor records this vault already (see <see cref="VaultRestoreOptions.ReplaceExistingAnchor"/>); otherwise as
    /// for verification. Nothing is written.
    /// </exception>
    /// <remarks>
    /// The restored vault is the vault the backup was made of (same id, same root): restore it in place of a vault that
    /// is lost, never beside one that still runs, least of all on the same token (a purge in either would destroy the
    /// other's HSM keys).
    /// </remarks>
    public static async Task<VaultBackupVerification> RestoreAsync(string backupPath, EmbeddedVaultOptions options, VaultRestoreOptions? restoreOptions = null, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var stream = OpenBackup(backupPath);
        await using (stream.ConfigureAwait(false))
        {
            return await Backup.VaultBackups.RestoreAsync(stream, Path.GetFullPath(backupPath), options, restoreOptions ?? new VaultRestoreOptions(), progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Restores a whole-vault backup read from <paramref name="backup"/> (see <see cref="RestoreAsync(string, EmbeddedVaultOptions, VaultRestoreOptions?, IProgress{VaultProgress}?, CancellationToken)"/>).</summary>
    /// <param name="backup">The backup's bytes (read to the end, left open).</param>
    /// <param name="options">The new vault's path, root and anchor.</param>
    /// <param name="restoreOptions">Whether an anchor that records this vault may be taken over; null for the defaults (it may not).</param>
    /// <param name="progress">Receives bytes read, then versions checked.</param>
    /// <param name="cancellationToken">Cancels before the new files are written.</param>
    /// <returns>What the backup held.</returns>
    public static Task<VaultBackupVerification> RestoreAsync(Stream backup, EmbeddedVaultOptions options, VaultRestoreOptions? restoreOptions = null, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backup);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        return Backup.VaultBackups.RestoreAsync(backup, "stream", options, restoreOptions ?? new VaultRestoreOptions(), progress, cancellationToken);
    }

    /// <summary>
    /// Writes a portable export: the vault's objects (or those <paramref name="options"/> names), every version with its
    /// attributes and policies, deleted ones with their dates, sealed under <paramref name="exportKey"/> instead of the
    /// vault's root: typically <see cref="SoftwareRootKey.FromPassphrase(ReadOnlySpan{char}, int, int, int)"/> (Argon2id;
    /// its salt and cost travel in the export). Import it with <see cref="ImportAsync"/> into any vault, under any root.
    /// HSM keys travel as references to their token and import only into a vault rooted in that token. Settings, access
    /// control and the audit trail belong to the vault and stay (use <see cref="BackupAsync(string, IProgress{VaultProgress}?, CancellationToken)"/>).
    /// </summary>
    /// <param name="destination">Where to write (left open).</param>
    /// <param name="exportKey">The key that seals the export.</param>
    /// <param name="options">What to export; null for the whole vault.</param>
    /// <param name="progress">Receives objects written of objects chosen, and bytes.</param>
    /// <param name="cancellationToken">Cancels between batches; an export cut short does not import.</param>
    /// <returns>Objects, versions and bytes written.</returns>
    /// <exception cref="VaultObjectNotFoundException">A named object does not exist or is deleted.</exception>
    public Task<VaultTransferResult> ExportAsync(Stream destination, IRootKeyProvider exportKey, VaultExportOptions? options = null, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(exportKey);
        return _operations.RunAsync(VaultOperation.VaultExport, null, null, (this, destination, exportKey, options ?? new VaultExportOptions(), progress, cancellationToken), static s =>
            new ValueTask<VaultTransferResult>(new Backup.PortableExport(s.Item1._core, s.Item1._lifecycle).ExportAsync(s.destination, s.exportKey, s.Item4, s.progress, s.cancellationToken)), cancellationToken).AsTask();
    }

    /// <summary>
    /// Imports a portable export (<see cref="ExportAsync"/>) into this vault with the per-object rules: every object keeps
    /// its name, version ids, attributes and state, and every name must be free here (deleted ones included), or nothing
    /// is imported. All of it is one durable transaction.
    /// </summary>
    /// <param name="source">The export's bytes (read to the end, left open).</param>
    /// <param name="exportKey">
    /// The key it was sealed under (the same passphrase, the same key file). A passphrase key's Argon2id cost is the most
    /// the export may ask for: make it with at least the exporting key's cost.
    /// </param>
    /// <param name="progress">Receives objects read, and bytes.</param>
    /// <param name="cancellationToken">Cancels before the import writes.</param>
    /// <returns>Objects and versions imported, and bytes read.</returns>
    /// <exception cref="VaultException">
    /// <c>RootKeyMismatch</c> for a wrong passphrase or key; <c>Conflict</c> when a name is taken; <c>VaultFormatInvalid</c>
    /// for bytes that are no export. Nothing is written.
    /// </exception>
    /// <exception cref="VaultIntegrityException">The export was altered or cut short.</exception>
    public Task<VaultTransferResult> ImportAsync(Stream source, IRootKeyProvider exportKey, IProgress<VaultProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(exportKey);
        return _operations.RunAsync(VaultOperation.VaultImport, null, null, (this, source, exportKey, progress, cancellationToken), static s =>
            new ValueTask<VaultTransferResult>(new Backup.PortableExport(s.Item1._core, s.Item1._lifecycle).ImportAsync(s.source, s.exportKey, s.progress, s.cancellationToken)), cancellationToken).AsTask();
    }

    private static FileStream OpenBackup(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw VaultErrors.BadParameter($"The backup file '{Path.GetFullPath(path)}' does not exist.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.StorageFailure($"the backup file '{Path.GetFullPath(path)}' cannot be read ({ex.GetType().Name})", ex);
        }
    }
}
