using KeyVault.Embedded.Access;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Certificates;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Backup;

/// <summary>Whole-vault backup: an online snapshot of everything, verified and restored into a new file.</summary>
public sealed class VaultBackupTests : CertificateTestBase
{
    protected override void Configure(EmbeddedVaultOptions options)
    {
        base.Configure(options);
        options.Audit.Enabled = true;
    }

    [Fact]
    public async Task Everything_round_trips_through_backup_verify_and_restore()
    {
        var v1 = await Secrets.SetSecretAsync(new KeyVaultSecret("db", "one") { Properties = { Tags = { ["env"] = "prod" } } });
        var v2 = await Secrets.SetSecretAsync(new KeyVaultSecret("db", "two") { Properties = { ExpiresOn = Start.AddHours(1) } });
        var disabled = v1.Properties;
        disabled.Enabled = false;
        await Secrets.UpdateSecretPropertiesAsync(disabled);
        await Secrets.SetSecretAsync("old", "soon deleted");
        var deleted = (await Secrets.StartDeleteSecretAsync("old")).Value;
        await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("rsa"));
        await Vault.Keys.UpdateKeyRotationPolicyAsync("rsa", new KeyRotationPolicy { ExpiresIn = "P90D", LifetimeActions = { new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P60D" } } });
        var cert = await CreateAsync("web", SelfPolicy());
        var pending = await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=web.example.com"));
        await Certificates.SetContactsAsync([new CertificateContact { Email = "ops@example.com" }]);
        await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, "reader-app");
        Time.Advance(TimeSpan.FromHours(2)); // the newest secret version is now expired
        var auditBefore = await Vault.VerifyAuditAsync();

        var progress = new List<VaultProgress>();
        var result = await Vault.BackupAsync(Dir.File("vault.kvbak"), new SyncProgress(progress));

        result.Generation.Should().BeGreaterThan(0);
        progress.Should().NotBeEmpty().And.OnlyContain(p => p.Operation == VaultProgress.Backup);
        progress[^1].Completed.Should().Be(result.RecordCount);
        var verification = await EmbeddedVault.VerifyBackupAsync(Dir.File("vault.kvbak"), SoftwareRootKey.FromBytes(Key));
        verification.VaultId.Should().Be(Vault.Properties.VaultId);
        verification.Generation.Should().Be(result.Generation);
        verification.Secrets.Should().Be(3, "db, old and the certificate's secret");
        verification.Certificates.Should().Be(1);
        verification.CertificateOperations.Should().Be(1);
        verification.Deleted.Should().Be(1);
        verification.AuditRecords.Should().BeGreaterThanOrEqualTo(auditBefore.RecordCount);

        var restoredPath = Dir.File("restored/vault.db");
        var restoredReport = await EmbeddedVault.RestoreAsync(Dir.File("vault.kvbak"), TestVaults.Options(restoredPath, Key, Time));
        restoredReport.Should().BeEquivalentTo(verification);

        await using var restored = await TestVaults.OpenAsync(restoredPath, Key, Time, o => o.Audit.Enabled = true);
        restored.Properties.VaultId.Should().Be(Vault.Properties.VaultId);
        (await restored.Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync()).Should().BeEquivalentTo(await Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync());
        (await restored.Secrets.GetSecretAsync("db", v2.Properties.Version)).Value.Should().Be("two");
        var restoredDeleted = await restored.Secrets.GetDeletedSecretAsync("old");
        restoredDeleted.DeletedOn.Should().Be(deleted.DeletedOn);
        restoredDeleted.ScheduledPurgeDate.Should().Be(deleted.ScheduledPurgeDate);
        ((await restored.Secrets.StartRecoverDeletedSecretAsync("old")).Value).Name.Should().Be("old");
        (await restored.Keys.GetKeyRotationPolicyAsync("rsa")).ExpiresIn.Should().Be("P90D");
        (await restored.Certificates.GetCertificateAsync("web")).Cer.Should().Equal(cert.Cer);
        (await restored.Certificates.GetCertificateOperationAsync("web")).Properties.Csr.Should().Equal(pending.Properties.Csr);
        (await restored.Certificates.GetContactsAsync()).Single().Email.Should().Be("ops@example.com");
        (await restored.Access.GetRoleAssignmentsAsync()).Should().Contain(a => a.PrincipalId == "reader-app");
        var audit = await restored.VerifyAuditAsync();
        audit.IsIntact.Should().BeTrue(audit.Problem);
        audit.RecordCount.Should().BeGreaterThanOrEqualTo(auditBefore.RecordCount);
    }

    [Fact]
    public async Task A_backup_to_a_stream_verifies_and_restores_from_a_stream()
    {
        await Secrets.SetSecretAsync("a", "1");
        using var stream = new MemoryStream();
        var result = await Vault.BackupAsync(stream);
        stream.Length.Should().Be(result.Bytes);

        stream.Position = 0;
        (await EmbeddedVault.VerifyBackupAsync(stream, SoftwareRootKey.FromBytes(Key))).Secrets.Should().Be(1);
        stream.Position = 0;
        await EmbeddedVault.RestoreAsync(stream, TestVaults.Options(Dir.File("copy.db"), Key, Time));
        await using var copy = await TestVaults.OpenAsync(Dir.File("copy.db"), Key, Time);
        (await copy.Secrets.GetSecretAsync("a")).Value.Should().Be("1");
    }

    [Fact]
    public async Task Flipped_bytes_anywhere_fail_verify_and_restore_with_typed_errors_and_restore_leaves_nothing()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("ec"));
        using var stream = new MemoryStream();
        await Vault.BackupAsync(stream);
        var bytes = stream.ToArray();

        // Every byte of the header and trailer, and positions spread over the whole file.
        var positions = Enumerable.Range(0, 48).Concat(Enumerable.Range(bytes.Length - 36, 36))
            .Concat(Enumerable.Range(0, 200).Select(i => 48 + (int)((long)i * (bytes.Length - 84) / 200))).Distinct();
        foreach (var position in positions)
        {
            var flipped = bytes.ToArray();
            flipped[position] ^= 0x20;
            await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(new MemoryStream(flipped), SoftwareRootKey.FromBytes(Key)))
                .Should().ThrowAsync<VaultException>($"byte {position} of {bytes.Length} was flipped");
        }

        var target = Dir.File("restored.db");
        var one = bytes.ToArray();
        one[bytes.Length / 2] ^= 0x01;
        await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(new MemoryStream(one), TestVaults.Options(target, Key, Time))).Should().ThrowAsync<VaultException>();
        Directory.GetFileSystemEntries(Dir.Path).Should().NotContain(p => Path.GetFileName(p).Contains("restored", StringComparison.Ordinal), "a refused restore leaves nothing");
        await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(new MemoryStream(bytes[..^1]), SoftwareRootKey.FromBytes(Key))).Should().ThrowAsync<VaultIntegrityException>();
        await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(new MemoryStream(bytes[..(bytes.Length / 2)]), SoftwareRootKey.FromBytes(Key))).Should().ThrowAsync<VaultIntegrityException>();
        await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(new MemoryStream([.. bytes, 0]), SoftwareRootKey.FromBytes(Key))).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task A_wrong_root_an_existing_target_and_a_file_that_is_no_backup_are_typed_errors()
    {
        await Secrets.SetSecretAsync("a", "1");
        var backup = Dir.File("b.kvbak");
        await Vault.BackupAsync(backup);

        var wrongRoot = await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(backup, SoftwareRootKey.FromBytes(TestVaults.NewKey()))).Should().ThrowAsync<VaultException>();
        wrongRoot.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        var restoreWrongRoot = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, TestVaults.Options(Dir.File("x.db"), TestVaults.NewKey(), Time))).Should().ThrowAsync<VaultException>();
        restoreWrongRoot.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        File.Exists(Dir.File("x.db")).Should().BeFalse();

        var existing = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, TestVaults.Options(VaultPath, Key, Time))).Should().ThrowAsync<VaultException>();
        existing.Which.ErrorCode.Should().Be(VaultErrorCode.Conflict);
        (await Secrets.GetSecretAsync("a")).Value.Should().Be("1", "the open vault was not touched");

        (await FluentActions.Awaiting(() => Vault.BackupAsync(backup)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        await File.WriteAllTextAsync(Dir.File("notes.txt"), "not a backup at all, just text");
        (await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(Dir.File("notes.txt"), SoftwareRootKey.FromBytes(Key))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);
    }

    [Fact]
    public async Task A_cancelled_backup_leaves_no_file()
    {
        for (var i = 0; i < 600; i++)
        {
            await Secrets.SetSecretAsync($"s{i}", "v");
        }

        using var cancel = new CancellationTokenSource();
        var backup = Dir.File("c.kvbak");
        await FluentActions.Awaiting(() => Vault.BackupAsync(backup, new SyncProgress(_ => cancel.Cancel()), cancel.Token)).Should().ThrowAsync<OperationCanceledException>();

        Directory.GetFiles(Dir.Path).Should().NotContain(p => Path.GetFileName(p).Contains("c.kvbak", StringComparison.Ordinal));
        (await Vault.BackupAsync(backup)).RecordCount.Should().BeGreaterThan(1200, "the vault still backs up");
    }

    [Fact]
    public async Task Restore_takes_over_the_vaults_rollback_anchor_only_when_told_it_is_gone_and_never_another_vaults()
    {
        var anchor = Dir.File("anchor/vault.anchor");
        await ReopenAsync(o => { Configure(o); o.AnchorPath = anchor; });
        await Secrets.SetSecretAsync("a", "1");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        var options = TestVaults.Options(Dir.File("new/vault.db"), Key, Time);
        options.AnchorPath = anchor;

        // The live vault has not committed since the backup: its anchor records the backup's very state, and the vault
        // is still in use. A restore beside it would share its anchor.
        (await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, options)).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        File.Exists(options.Path).Should().BeFalse();

        await Secrets.SetSecretAsync("a", "2"); // the anchor moves past the backup
        await Vault.DisposeAsync();

        // The anchor protects a newer state of this vault, which may still be in use: not lowered by default.
        var refused = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, options)).Should().ThrowAsync<VaultException>();
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        refused.Which.Message.Should().Contain(nameof(VaultRestoreOptions.ReplaceExistingAnchor));
        File.Exists(options.Path).Should().BeFalse();
        await using (var live = await TestVaults.OpenAsync(VaultPath, Key, Time, o => o.AnchorPath = anchor))
        {
            (await live.Secrets.GetSecretAsync("a")).Value.Should().Be("2", "the live vault still opens under its anchor");
        }

        // Another vault's anchor is never overwritten.
        var otherAnchor = Dir.File("anchor/other.anchor");
        await using (var stranger = await TestVaults.OpenAsync(Dir.File("stranger.db"), Key, Time, o => o.AnchorPath = otherAnchor))
        {
            await stranger.Secrets.SetSecretAsync("s", "x");
        }

        var foreign = TestVaults.Options(Dir.File("new2/vault.db"), Key, Time);
        foreign.AnchorPath = otherAnchor;
        (await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, foreign, new VaultRestoreOptions { ReplaceExistingAnchor = true })).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.Conflict);

        // The vault is lost, its anchor is not: the operator says so, and the restored vault opens under the same anchor.
        File.Delete(VaultPath);
        await EmbeddedVault.RestoreAsync(backup, options, new VaultRestoreOptions { ReplaceExistingAnchor = true });
        await using var restored = await TestVaults.OpenAsync(options.Path, Key, Time, o => o.AnchorPath = anchor);
        (await restored.Secrets.GetSecretAsync("a")).Value.Should().Be("1");
    }

    [Fact]
    public async Task A_copy_of_the_vault_a_restore_replaced_cannot_come_back_once_the_restore_took_over_its_anchor()
    {
        var anchor = Dir.File("anchor/vault.anchor");
        await ReopenAsync(o => { Configure(o); o.AnchorPath = anchor; });
        await Secrets.SetSecretAsync("a", "backed-up");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        for (var i = 0; i < 6; i++)
        {
            await Secrets.SetSecretAsync("a", $"replaced-{i}"); // the vault moves on, far past the backup
        }

        await Vault.DisposeAsync();
        var old = TakeVaultFiles(Dir.Path);
        var replacedGeneration = AnchorGeneration(anchor);

        // The vault is lost (or compromised) and restored from the backup, under the same anchor; it makes one change.
        var options = RestoreTarget("new", anchor);
        await EmbeddedVault.RestoreAsync(backup, options, new VaultRestoreOptions { ReplaceExistingAnchor = true });
        AnchorGeneration(anchor).Should().BeGreaterThan(replacedGeneration + 1, "an anchor's generation never goes down (a token anchor a crash leaves with two objects keeps the newer)");
        await using (var restored = await EmbeddedVault.OpenAsync(options))
        {
            (await restored.Secrets.GetSecretAsync("a")).Value.Should().Be("backed-up");
            await restored.Secrets.SetSecretAsync("b", "after-the-restore");
            (await restored.GetAuditEventsAsync(new KeyVault.Embedded.Audit.AuditQuery { OperationName = "VaultRollbackAnchorChange" })).Should().NotBeEmpty("the take-over is in the trail");
            (await restored.VerifyAuditAsync()).IsIntact.Should().BeTrue();
        }

        // Someone who kept a copy of the replaced vault's files puts it in the restored vault's place. Before, a copy at a
        // higher generation than the restored vault's was taken for the newer vault and opened.
        await PutInPlaceAndExpectRefusalAsync(old, options);
    }

    [Fact]
    public async Task A_restore_under_a_new_anchor_keeps_the_lost_vaults_copies_out_too()
    {
        var lost = Dir.File("anchor/lost.anchor");
        await ReopenAsync(o => { Configure(o); o.AnchorPath = lost; });
        await Secrets.SetSecretAsync("a", "backed-up");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        await Secrets.SetSecretAsync("a", "later");
        await Vault.DisposeAsync();
        var old = TakeVaultFiles(Dir.Path);
        File.Delete(lost); // the anchor was lost with the machine

        var options = RestoreTarget("new", Dir.File("anchor/new.anchor"));
        await EmbeddedVault.RestoreAsync(backup, options);

        await PutInPlaceAndExpectRefusalAsync(old, options);
    }

    [Fact]
    public async Task Copies_from_a_time_the_vault_ran_without_its_anchor_do_not_open_after_a_restore_takes_the_anchor_over()
    {
        var anchor = Dir.File("anchor/vault.anchor");
        await ReopenAsync(o => { Configure(o); o.AnchorPath = anchor; });
        await Secrets.SetSecretAsync("a", "backed-up");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);

        // Opened without the anchor on purpose (and the anchor file left behind), then used for a while.
        await ReopenAsync(o => { Configure(o); o.DropRollbackAnchor = true; });
        for (var i = 0; i < 10; i++)
        {
            await Secrets.SetSecretAsync("a", $"unanchored-{i}");
        }

        await Vault.DisposeAsync();
        var old = TakeVaultFiles(Dir.Path);

        var options = RestoreTarget("new", anchor);
        await EmbeddedVault.RestoreAsync(backup, options, new VaultRestoreOptions { ReplaceExistingAnchor = true });
        await using (var restored = await EmbeddedVault.OpenAsync(options))
        {
            await restored.Secrets.SetSecretAsync("a", "restored-and-used");
        }

        await PutInPlaceAndExpectRefusalAsync(old, options);
    }

    [Fact]
    public async Task A_backup_of_an_anchored_vault_restores_without_an_anchor_only_when_told_to_drop_it()
    {
        await ReopenAsync(o => { Configure(o); o.AnchorPath = Dir.File("anchor/vault.anchor"); });
        await Secrets.SetSecretAsync("a", "1");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        var options = RestoreTarget("new", anchor: null);

        var refused = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, options)).Should().ThrowAsync<VaultException>();
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        refused.Which.Message.Should().Contain("names no rollback anchor").And.Contain(nameof(EmbeddedVaultOptions.DropRollbackAnchor));
        Directory.Exists(Dir.File("new")).Should().BeFalse("nothing was restored");

        options.DropRollbackAnchor = true;
        await EmbeddedVault.RestoreAsync(backup, options);
        await using var restored = await EmbeddedVault.OpenAsync(RestoreTarget("new", anchor: null));
        (await restored.Secrets.GetSecretAsync("a")).Value.Should().Be("1", "restored unanchored, it opens with no anchor named");
    }

    [Fact]
    public async Task A_vault_restored_unanchored_and_anchored_later_keeps_out_the_files_of_the_vault_it_replaced()
    {
        await Secrets.SetSecretAsync("a", "backed-up"); // not anchored yet
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        await ReopenAsync(o => { Configure(o); o.AnchorPath = Dir.File("anchor/first.anchor"); });
        for (var i = 0; i < 20; i++)
        {
            await Secrets.SetSecretAsync("a", $"later-{i}");
        }

        await Vault.DisposeAsync();
        var old = TakeVaultFiles(Dir.Path);

        await EmbeddedVault.RestoreAsync(backup, RestoreTarget("new", anchor: null)); // the backup was not anchored
        var anchored = RestoreTarget("new", Dir.File("anchor/second.anchor"));
        await using (var restored = await EmbeddedVault.OpenAsync(anchored))
        {
            await restored.Secrets.SetSecretAsync("a", "restored");
        }

        await PutInPlaceAndExpectRefusalAsync(old, anchored);
    }

    private static long AnchorGeneration(string anchor) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(File.ReadAllBytes(anchor).AsSpan(20, 8));

    /// <summary>Moves every file of the vault out of <paramref name="folder"/>, returning their bytes.</summary>
    private static List<KeyValuePair<string, byte[]>> TakeVaultFiles(string folder)
    {
        var files = Files.Snapshot(folder).Where(f => Path.GetFileName(f.Key).StartsWith("vault", StringComparison.Ordinal)).ToList();
        foreach (var (path, _) in files)
        {
            File.Delete(path);
        }

        return files;
    }

    private EmbeddedVaultOptions RestoreTarget(string folder, string? anchor)
    {
        var options = TestVaults.Options(Dir.File($"{folder}/vault.db"), Key, Time);
        options.AnchorPath = anchor;
        options.Audit.Enabled = true;
        return options;
    }

    /// <summary>Puts the old files where the restored vault's are, and expects the anchor to refuse them, unchanged.</summary>
    private static async Task PutInPlaceAndExpectRefusalAsync(List<KeyValuePair<string, byte[]>> old, EmbeddedVaultOptions options)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(options.Path))!;
        TakeVaultFiles(folder);
        foreach (var (path, bytes) in old)
        {
            Files.WriteOwnerOnly(Path.Combine(folder, Path.GetFileName(path)), bytes);
        }

        var anchor = File.ReadAllBytes(options.AnchorPath!);
        var refusal = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(options)).Should().ThrowAsync<VaultException>()).Which;
        refusal.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        refusal.Message.Should().Contain("another line of its history");
        File.ReadAllBytes(options.AnchorPath!).Should().Equal(anchor, "the anchor is never moved by a refused copy");
    }

    [Fact]
    public async Task A_backup_from_before_a_root_rotation_restores_under_the_anchor_once_told()
    {
        var anchor = Dir.File("anchor/vault.anchor");
        await ReopenAsync(o => { Configure(o); o.AnchorPath = anchor; });
        await Secrets.SetSecretAsync("a", "1");
        var backup = Dir.File("a.kvbak");
        await Vault.BackupAsync(backup);
        await Vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey())); // the anchor is MAC'd under the new root
        await Vault.DisposeAsync();
        var options = TestVaults.Options(Dir.File("new/vault.db"), Key, Time); // the backup's root, the old one
        options.AnchorPath = anchor;

        var refused = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, options)).Should().ThrowAsync<VaultException>();
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        refused.Which.Message.Should().Contain("another root");
        await EmbeddedVault.RestoreAsync(backup, options, new VaultRestoreOptions { ReplaceExistingAnchor = true });
        await using var restored = await TestVaults.OpenAsync(options.Path, Key, Time, o => o.AnchorPath = anchor);
        (await restored.Secrets.GetSecretAsync("a")).Value.Should().Be("1");
    }

    [Fact]
    public async Task Closing_the_vault_during_a_backup_is_reported_as_closed_not_as_damage()
    {
        for (var i = 0; i < 1500; i++)
        {
            await Secrets.SetSecretAsync($"s{i}", "v");
        }

        var closing = new ClosingStream(Vault);
        var failure = await FluentActions.Awaiting(() => Vault.BackupAsync(closing)).Should().ThrowAsync<ObjectDisposedException>();
        failure.Which.Message.Should().Contain("closed");
        closing.Closed.Should().BeTrue();
    }

    /// <summary>A destination that closes the vault once the backup has written its first 64 KiB.</summary>
    private sealed class ClosingStream(EmbeddedVault vault) : MemoryStream
    {
        public bool Closed { get; private set; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await base.WriteAsync(buffer, cancellationToken);
            if (!Closed && Length > 65536)
            {
                Closed = true;
                vault.Dispose();
            }
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (so a test sees every report before the call returns).</summary>
    private sealed class SyncProgress(Action<VaultProgress> report) : IProgress<VaultProgress>
    {
        public SyncProgress(List<VaultProgress> into)
            : this(into.Add)
        {
        }

        public void Report(VaultProgress value) => report(value);
    }
}
