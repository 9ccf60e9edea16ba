using System.Security.Cryptography;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// Whole-vault backup, verification and restore. A backup is every stored record of one generation, copied while the
/// vault keeps serving (<see cref="StoreSnapshot"/>), in <see cref="VaultBackupFile"/>'s format. Verification opens the
/// backup in memory with the very checks of an open, then reads every record, decrypts every version and verifies the
/// audit chain. A restore verifies first, writes a new vault file beside the target and moves it into place.
/// </summary>
internal static class VaultBackups
{
    private const int Batch = 512;

    /// <summary>Writes a backup to <paramref name="path"/>: a temporary file, fsynced, renamed only when complete.</summary>
    public static async Task<VaultBackupResult> BackupAsync(VaultCore core, string path, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) || Directory.Exists(full))
        {
            throw VaultErrors.BadParameter($"The backup path '{full}' exists; a backup never replaces a file. Choose a new name.");
        }

        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            VaultBackupResult result;
            var file = SecureFile.CreateNew(temporary);
            await using (file.ConfigureAwait(false))
            {
                var buffered = new BufferedStream(file, 1 << 20);
                await using (buffered.ConfigureAwait(false))
                {
                    result = await BackupAsync(core, buffered, progress, cancellationToken).ConfigureAwait(false);
                    await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }
            }

            // Only a complete, durable file takes the name.
            File.Move(temporary, full, overwrite: false);
            DirectorySync.Flush(directory);
            return result;
        }
        catch (Exception ex)
        {
            TryDelete(temporary);
            if (ex is IOException or UnauthorizedAccessException)
            {
                throw VaultErrors.StorageFailure($"writing the backup '{full}' failed ({ex.GetType().Name}); no backup was left", ex);
            }

            throw;
        }
    }

    /// <summary>Writes a backup of the vault as it is at the moment this is called, while writers go on.</summary>
    public static async Task<VaultBackupResult> BackupAsync(VaultCore core, Stream destination, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        StoreSnapshot? snapshot = null;
        byte[]? macKey = null;
        IStoreSnapshot? frozen = null;
        await core.Writer.WriteAsync(async _ =>
        {
            // Under the write lock, with nothing staged: the listing is exactly one generation's. Registered before the
            // lock is released, so every later commit keeps what it replaces for this backup. On a shared store, whose
            // other instances' commits this one never sees, the backup reads a snapshot of the database taken here
            // (under the database's write lock too, so of this generation).
            frozen = core.Store is ISharedRecordStore shared ? await shared.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false) : null;
            snapshot = new StoreSnapshot(frozen ?? core.Store, core.Manifest.Generation, core.Manifest.Listing(), core.Manifest.BucketHashes(), core.Keys);
            macKey = core.Keys.BackupKey();
            core.Snapshots.Add(snapshot);
            return true;
        }, WriteMode.Alone, cancellationToken).ConfigureAwait(false);

        await using var frozenStore = frozen;
        try
        {
            var listing = snapshot!.Listing;
            var vaultId = core.Header.VaultId;
            using var writer = new VaultBackupFile.Writer(destination, vaultId, snapshot.Generation, listing.Count, core.Now());
            await writer.WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < listing.Count; i += Batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<(string, RecordHash?, long)>(Batch);
                for (var j = i; j < Math.Min(i + Batch, listing.Count); j++)
                {
                    batch.Add(listing[j]);
                }

                foreach (var record in await snapshot.TakeAsync(batch, cancellationToken).ConfigureAwait(false))
                {
                    await writer.WriteRecordAsync(record, cancellationToken).ConfigureAwait(false);
                }

                progress?.Report(new VaultProgress(VaultProgress.Backup, Math.Min(i + Batch, listing.Count), listing.Count, writer.Bytes));
            }

            await writer.WriteTrailerAsync(macKey!, cancellationToken).ConfigureAwait(false);
            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new VaultBackupResult(vaultId, snapshot.Generation, listing.Count, writer.Bytes, snapshot.LongestWriterWait);
        }
        catch (Exception ex) when (core.IsDisposed && ex is not OperationCanceledException)
        {
            // The store closed under the backup's reads: that is the vault closing, not damage.
            throw new ObjectDisposedException(nameof(EmbeddedVault), "The vault was closed during the backup; the backup is incomplete.");
        }
        finally
        {
            core.Snapshots.Remove(snapshot!);
            CryptographicOperations.ZeroMemory(macKey);
        }
    }

    /// <summary>Verifies a backup without restoring it.</summary>
    public static async Task<VaultBackupVerification> VerifyAsync(Stream source, string location, IRootKeyProvider root, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        var content = await ReadAsync(source, location, progress, VaultProgress.VerifyBackup, cancellationToken).ConfigureAwait(false);
        return (await CheckAsync(content, location, root, progress, VaultProgress.VerifyBackup, static _ => ValueTask.FromResult(true), cancellationToken).ConfigureAwait(false)).Report;
    }

    /// <summary>
    /// Restores a backup into a new vault at <paramref name="target"/>'s path (never over an existing file): verifies
    /// it whole; settles the target's rollback anchor (see <see cref="SettleAnchorAsync"/>); writes the new files under a
    /// temporary folder beside the target and moves them into place (data file first: a crash in between leaves a data
    /// file without its log, which an open refuses); then opens the restored vault once, and removes the files again
    /// if that fails.
    /// </summary>
    public static async Task<VaultBackupVerification> RestoreAsync(Stream source, string location, EmbeddedVaultOptions target, VaultRestoreOptions restore, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        if (target.StoreProvider is not null)
        {
            throw VaultErrors.BadParameter($"A whole-vault backup restores into a vault file, not into a database ({target.StoreProvider.Location}): restore it to a file, or move its objects into the database's vault with ExportAsync and ImportAsync.");
        }

        var path = Path.GetFullPath(target.Path);
        var files = new[] { path, LiteDbRecordStore.LogPath(path), DataFileStream.ChecksumPath(path) };
        foreach (var file in files)
        {
            if (File.Exists(file) || Directory.Exists(file))
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, $"'{file}' exists: a backup is restored only into a new vault file, never over one. Choose a new path, or remove the old files first.");
            }
        }

        var content = await ReadAsync(source, location, progress, VaultProgress.Restore, cancellationToken).ConfigureAwait(false);
        var (provider, owned) = target.ResolveRoot();
        VaultBackupVerification report;
        try
        {
            (report, _) = await CheckAsync(content, location, provider, progress, VaultProgress.Restore, async core =>
            {
                await SettleAnchorAsync(core, target, restore).ConfigureAwait(false);
                await WriteVaultAsync(path, ((MemoryRecordStore)core.Store).Records(), core.Manifest.Generation, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (owned && provider is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }

        try
        {
            // The restored vault opens as any vault does (which settles its anchored flag with the target's anchor).
            var vault = await EmbeddedVault.OpenAsync(target, CancellationToken.None).ConfigureAwait(false);
            await vault.DisposeAsync().ConfigureAwait(false);
        }
        catch
        {
            foreach (var file in files)
            {
                TryDelete(file);
            }

            throw;
        }

        return report;
    }

    /// <summary>
    /// Settles the target's rollback anchor before any file is written. An anchor that is there already is refused when
    /// it names another vault (<c>Conflict</c>), and when it names this vault (whatever generation it records, under
    /// whichever root): the vault it protects may still be in use, and a restore beside it would take over its anchor.
    /// <see cref="VaultRestoreOptions.ReplaceExistingAnchor"/> says that vault is gone. A backup of an anchored vault
    /// with no anchor named is refused unless <see cref="EmbeddedVaultOptions.DropRollbackAnchor"/> says to restore it
    /// without one.
    /// </summary>
    /// <remarks>
    /// Every restore makes one commit on the backup's copy in memory first, which gives the restored vault a new lineage
    /// (<see cref="VaultOpener.ChangeAnchoringAsync"/>), and the anchor written records it: every copy of the vault the
    /// restore replaces, of whatever generation, is then of another lineage, and refused.
    /// </remarks>
    private static async ValueTask SettleAnchorAsync(VaultCore core, EmbeddedVaultOptions target, VaultRestoreOptions restore)
    {
        using var anchor = VaultOpener.OpenAnchor(target, core.Root, core.Header.VaultId);
        if (anchor is null)
        {
            if (core.Header.Anchored && !target.DropRollbackAnchor)
            {
                throw VaultErrors.BadParameter(
                    "The backup is of an anchored vault, and the restore names no rollback anchor: name the anchor to restore it under (EmbeddedVaultOptions.AnchorPath, or Pkcs11RootKeyOptions.UseTokenAnchor; kv: --anchor-path, --token-anchor), " +
                    "or set EmbeddedVaultOptions.DropRollbackAnchor (kv: --drop-anchor) to restore it unanchored. Nothing was restored.");
            }

            // A new lineage even unanchored: an anchor seeded for the restored vault later never vouches for the files of
            // the vault it replaced (anchored after this backup was taken).
            await VaultOpener.ChangeAnchoringAsync(core, anchored: false, skipTo: null, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        byte[]? existing;
        try
        {
            existing = anchor.Read();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.StorageFailure($"the {anchor.Description} cannot be read ({ex.GetType().Name}); nothing was restored", ex);
        }

        if (existing is not null)
        {
            // The vault id is read before any check: a well-formed anchor of this vault may be MAC'd under another root
            // (one the vault was rotated to after the backup), which only the operator can judge.
            if (AnchorState.PeekVaultId(existing) != core.Header.VaultId)
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, $"The {anchor.Description} belongs to another vault (or is not an anchor): a restore does not overwrite it. Name another anchor. Nothing was restored.");
            }

            if (!restore.ReplaceExistingAnchor)
            {
                var state = AnchorState.Decode(existing, core.Keys);
                var recorded = state is { } s ? $"records generation {s.Generation} of this vault" : "records this vault under another root";
                throw new VaultException(VaultErrorCode.RollbackDetected, 409,
                    $"The {anchor.Description} {recorded} (the backup is at generation {core.Manifest.Generation}): the vault it anchors may still be in use, and a restore would take over its anchor. " +
                    "If that vault is gone for good, restore again with VaultRestoreOptions.ReplaceExistingAnchor (kv: --replace-existing-anchor), which keeps every copy of it from opening again. Nothing was restored.");
            }
        }

        // Taking over an anchor at generation A, jump to A + 2: an anchor's generation never goes down, so a token anchor
        // that a crash leaves with both its old and its new object keeps the newer, the restored vault's.
        await VaultOpener.ChangeAnchoringAsync(core, anchored: true, skipTo: existing is null ? null : AnchorState.PeekGeneration(existing) + 2, CancellationToken.None).ConfigureAwait(false);
        anchor.Write(new AnchorState(core.Header.VaultId, core.Manifest.Generation, core.Manifest.Root, core.Header.Lineage).Encode(core.Keys));
    }

    private static async Task<VaultBackupFile.Content> ReadAsync(Stream source, string location, IProgress<VaultProgress>? progress, string operation, CancellationToken cancellationToken) =>
        await VaultBackupFile.ReadAsync(source, location, progress is null ? null : bytes => progress.Report(new VaultProgress(operation, 0, 0, bytes)), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens the backup's records in memory with every check of an open, checks the file's MAC, reads every record and
    /// decrypts every version, verifies the audit chain; then runs <paramref name="then"/> with the opened copy.
    /// </summary>
    private static async Task<(VaultBackupVerification Report, T Result)> CheckAsync<T>(VaultBackupFile.Content content, string location, IRootKeyProvider root, IProgress<VaultProgress>? progress, string operation, Func<VaultCore, ValueTask<T>> then, CancellationToken cancellationToken)
    {
        var store = new MemoryRecordStore(location, content.Records);
        var options = new EmbeddedVaultOptions
        {
            Path = location,
            RootKey = root,
            VerifyOnly = true,
            StoreFactory = _ => store,
            Audit = new Audit.VaultAuditOptions { Enabled = true },
        };
        var core = await VaultOpener.OpenAsync(options, root, cancellationToken).ConfigureAwait(false);
        try
        {
            if (core.Header.VaultId != content.VaultId || core.Manifest.Generation != content.Generation)
            {
                throw VaultBackupFile.Damaged(location, "its header names another vault or generation than its records hold");
            }

            var key = core.Keys.BackupKey();
            try
            {
                if (!content.Authentic(key))
                {
                    throw VaultBackupFile.Damaged(location, "its MAC does not match its bytes");
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }

            var listing = core.Manifest.Listing();
            if (listing.Count != content.Records.Count || !listing.Select(e => (e.Id, e.Key)).SequenceEqual(content.Records.Select(r => (r.Id, r.Key))))
            {
                throw VaultBackupFile.Damaged(location, "it holds other records than its manifest lists");
            }

            var report = await ScanAsync(core, content, progress, operation, cancellationToken).ConfigureAwait(false);
            var result = await then(core).ConfigureAwait(false);
            return (report, result);
        }
        finally
        {
            core.Dispose();
        }
    }

    /// <summary>
    /// Checks every record of the backup against the manifest it carries (which the open has authenticated): objects and
    /// settings decode and match their hashes; every version matches its hash and sequence and decrypts under its
    /// object's identity (its GCM tag); then the audit chain. The records are read from memory in one pass each, not
    /// through the vault's cache.
    /// </summary>
    private static async ValueTask<VaultBackupVerification> ScanAsync(VaultCore core, VaultBackupFile.Content content, IProgress<VaultProgress>? progress, string operation, CancellationToken cancellationToken)
    {
        var manifest = core.Manifest;
        var objects = new Dictionary<string, ObjectRecord>(StringComparer.Ordinal);
        var counts = new Dictionary<ObjectType, int>();
        var total = content.Records.Count;
        var deleted = 0;
        var settings = 0;
        foreach (var stored in content.Records)
        {
            if (RecordKeys.TryParseObject(stored.Key, out var type, out _, out var version) && version is null)
            {
                var record = ObjectRecord.Decode(VerifiedRecord.Check(stored.Key, stored.Value, Listed(manifest, stored.Key).Hash));
                objects[stored.Key] = record;
                counts[type] = counts.GetValueOrDefault(type) + 1;
                deleted += record.IsDeleted ? 1 : 0;
            }
            else if (stored.Key.StartsWith(RecordKeys.SettingPrefix, StringComparison.Ordinal))
            {
                VerifiedRecord.Check(stored.Key, stored.Value, Listed(manifest, stored.Key).Hash);
                settings++;
            }
        }

        long versions = 0;
        var buffer = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);
        try
        {
            foreach (var stored in content.Records)
            {
                if (!RecordKeys.TryParseObject(stored.Key, out var type, out var name, out var version) || version is null)
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var listed = Listed(manifest, stored.Key);
                var decoded = StoredVersion.Decode(VerifiedRecord.Check(stored.Key, stored.Value, listed.Hash), listed.Tag);
                var owner = objects[RecordKeys.Object(type, name)]; // the manifest lists no version without its object
                var length = RecordSealer.PlaintextLength(decoded.Sealed);
                if (length > buffer.Length)
                {
                    CryptographicOperations.ZeroMemory(buffer);
                    buffer = GC.AllocateUninitializedArray<byte>(length, pinned: true);
                }

                try
                {
                    core.Sealer.Unseal(new Sealing.RecordIdentity(owner.Type, owner.NormalizedName, version), decoded.AttributeBytes, decoded.Sealed, buffer.AsSpan(0, Math.Max(length, 0)));
                }
                catch (CryptographicException ex)
                {
                    throw VaultErrors.Integrity(owner.Type, owner.Name, version, ex);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(buffer.AsSpan(0, Math.Max(length, 0)));
                }

                if (++versions % (Batch * 8) == 0)
                {
                    progress?.Report(new VaultProgress(operation, versions, total, content.Bytes));
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }

        var (_, audit) = await core.Audit!.ReadChainAsync(cancellationToken).ConfigureAwait(false);
        if (!audit.IsIntact)
        {
            throw new VaultIntegrityException($"The vault backup's audit trail does not verify: {audit.Problem}.");
        }

        progress?.Report(new VaultProgress(operation, total, total, content.Bytes));
        return new VaultBackupVerification
        {
            VaultId = content.VaultId,
            Generation = content.Generation,
            CreatedOn = DateTimeOffset.FromUnixTimeSeconds(content.Created),
            RecordCount = content.Records.Count,
            Bytes = content.Bytes,
            Secrets = counts.GetValueOrDefault(ObjectType.Secret),
            Keys = counts.GetValueOrDefault(ObjectType.Key),
            Certificates = counts.GetValueOrDefault(ObjectType.Certificate),
            CertificateOperations = counts.GetValueOrDefault(ObjectType.CertificateOperation),
            Deleted = deleted,
            Versions = versions,
            Settings = settings,
            AuditRecords = audit.RecordCount,
        };

        static Listed Listed(Manifest manifest, string key) =>
            manifest.TryGetEntry(key, out var listed) ? listed : throw new VaultIntegrityException($"The vault backup holds the record '{key}', which its manifest does not list: it was altered.");
    }

    /// <summary>Writes the records as a new vault file at <paramref name="path"/>, through a temporary folder beside it.</summary>
    private static async ValueTask WriteVaultAsync(string path, IReadOnlyList<StoredRecord> records, long generation, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var work = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.restoring");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(work);
        }
        else
        {
            Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var moved = new List<string>();
        try
        {
            var temporary = Path.Combine(work, Path.GetFileName(path));
            var store = LiteDbRecordStore.Open(temporary);
            try
            {
                var commit = new StoreCommit(0, generation);
                commit.Creates.AddRange(records);
                cancellationToken.ThrowIfCancellationRequested();
                await store.CommitAsync(commit, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                store.Dispose();
            }

            foreach (var (from, to) in new[] { (temporary, path), (LiteDbRecordStore.LogPath(temporary), LiteDbRecordStore.LogPath(path)), (DataFileStream.ChecksumPath(temporary), DataFileStream.ChecksumPath(path)) })
            {
                if (File.Exists(from))
                {
                    File.Move(from, to, overwrite: false);
                    moved.Add(to);
                }
            }

            DirectorySync.Flush(directory);
        }
        catch (Exception ex)
        {
            moved.ForEach(TryDelete);
            if (ex is IOException or UnauthorizedAccessException)
            {
                throw VaultErrors.StorageFailure($"writing the restored vault '{path}' failed ({ex.GetType().Name}); nothing was left at that path", ex);
            }

            throw;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Left behind, named as a temporary; it holds only sealed records.
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the name marks it as incomplete.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
