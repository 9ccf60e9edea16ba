using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

public sealed class VaultCommandTests
{
    [Fact]
    public async Task A_vault_backup_verifies_and_restores_into_a_new_file_that_opens_with_the_same_root()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("secret", "set", "-n", "kept", "--value", "kept-value");
        await home.OkAsync("key", "create", "-n", "kept-key", "--kty", "EC");
        var backup = home.PathOf("vault.backup");

        var made = (await home.OkAsync("vault", "backup", "--file", backup))!;
        made["recordCount"]!.GetValue<long>().Should().BePositive();
        File.Exists(backup).Should().BeTrue();

        var verified = (await home.OkAsync("vault", "verify-backup", "--file", backup))!;
        verified["secrets"]!.GetValue<int>().Should().Be(1);
        verified["keys"]!.GetValue<int>().Should().Be(1);

        var restoredPath = home.PathOf("restored.db");
        (await home.OkAsync("vault", "restore", "--file", backup, "--to", restoredPath))!["location"]!.GetValue<string>().Should().Be(restoredPath);
        var shown = VaultHome.Ok(await home.RunAsync("secret", "show", "-n", "kept", "--vault", restoredPath))!;
        shown["value"]!.GetValue<string>().Should().Be("kept-value");

        var overRestore = await home.RunAsync("vault", "restore", "--file", backup, "--to", restoredPath);
        overRestore.ExitCode.Should().Be(5, overRestore.ToString());
        overRestore.Stderr.Should().StartWith("ERROR: (Conflict)");
    }

    [Fact]
    public async Task Rotating_the_key_encryption_key_reseals_every_record_and_the_vault_still_reads()
    {
        using var home = await VaultHome.CreateAsync();
        var first = (await home.OkAsync("secret", "set", "-n", "a", "--value", "1"))!["version"]!.GetValue<string>();
        await home.OkAsync("secret", "set", "-n", "a", "--value", "2");
        await home.OkAsync("secret", "set", "-n", "b", "--value", "3");

        var rotated = (await home.OkAsync("vault", "rotate-kek"))!;
        rotated["keyEncryptionKeyVersion"]!.GetValue<int>().Should().Be(2);
        rotated["resealedRecords"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(3, "each of the three versions is re-sealed (the count, not the new key version)");
        (await home.OkAsync("secret", "show", "-n", "a"))!["value"]!.GetValue<string>().Should().Be("2");
        (await home.OkAsync("secret", "show", "-n", "a", "--version", first))!["value"]!.GetValue<string>().Should().Be("1");
    }

    [Fact]
    public async Task A_root_key_file_and_purge_protection_are_taken_from_the_options()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        var keyFile = home.PathOf("root.key");
        await File.WriteAllBytesAsync(keyFile, Convert.FromHexString(home.RootKeyHex));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var explicitVault = home.PathOf("explicit.db");

        var created = VaultHome.Ok(await home.Tool.RunAsync(["vault", "create", "--vault", explicitVault, "--root-key-file", keyFile, "--retention-days", "7", "--enable-purge-protection"]))!;
        created["softDeleteRetentionDays"]!.GetValue<int>().Should().Be(7);
        created["purgeProtectionEnabled"]!.GetValue<bool>().Should().BeTrue();

        VaultHome.Ok(await home.Tool.RunAsync(["secret", "set", "-n", "p", "--value", "x", "--vault", explicitVault, "--root-key-file", keyFile]));
        VaultHome.Ok(await home.Tool.RunAsync(["secret", "delete", "-n", "p", "--vault", explicitVault, "--root-key-file", keyFile]));
        var purge = await home.Tool.RunAsync(["secret", "purge", "-n", "p", "--vault", explicitVault, "--root-key-file", keyFile]);
        purge.ExitCode.Should().Be(4, "purge protection refuses a purge before its date: " + purge);
        purge.Stderr.Should().StartWith("ERROR: (Forbidden)");
    }

    [Fact]
    public async Task A_wrong_root_key_exits_8_and_leaves_the_vault_files_untouched()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("secret", "set", "-n", "a", "--value", "1");
        var before = home.FileFingerprint();

        var wrong = await home.RunWithAsync(["secret", "list"], null, new Dictionary<string, string?> { ["KV_ROOT_KEY"] = new string('7', 64) });

        wrong.ExitCode.Should().Be(8, wrong.ToString());
        wrong.Stderr.Should().StartWith("ERROR: (RootKeyMismatch)");
        wrong.Stdout.Should().BeEmpty();
        home.FileFingerprint().Should().Equal(before);
    }

    [Fact]
    public async Task An_anchored_vault_is_refused_without_its_anchor_so_no_command_takes_up_a_rolled_back_copy()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        var anchor = home.PathOf(Path.Combine("anchors", "vault.anchor"));
        await home.OkAsync("vault", "create", "--anchor-path", anchor);
        await home.OkAsync("secret", "set", "-n", "pw", "--value", "old", "--anchor-path", anchor);
        var copy = home.PathOf("copy");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(home.Folder, "vault*"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        await home.OkAsync("secret", "set", "-n", "pw", "--value", "new", "--anchor-path", anchor);
        foreach (var file in Directory.GetFiles(copy))
        {
            File.Copy(file, Path.Combine(home.Folder, Path.GetFileName(file)), overwrite: true);
        }

        var before = home.FileFingerprint();
        var bare = await home.RunAsync("secret", "list");
        bare.ExitCode.Should().Be(7, bare.ToString());
        bare.Stderr.Should().StartWith("ERROR: (RollbackDetected)").And.Contain("--anchor-path");
        home.FileFingerprint().Should().Equal(before, "a command without the anchor neither reads nor unanchors the vault");

        var anchored = await home.RunAsync("secret", "show", "-n", "pw", "--anchor-path", anchor);
        anchored.ExitCode.Should().Be(7, anchored.ToString());
        anchored.Stderr.Should().StartWith("ERROR: (RollbackDetected)").And.Contain("generation");
        home.FileFingerprint().Should().Equal(before);

        // Taken up deliberately: the operator says so.
        (await home.OkAsync("secret", "show", "-n", "pw", "--drop-anchor"))!["value"]!.GetValue<string>().Should().Be("old");
    }

    [Fact]
    public async Task Restore_takes_over_the_anchor_of_a_lost_vault_only_when_told_and_its_old_files_then_stay_out()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        var anchor = home.PathOf(Path.Combine("anchors", "vault.anchor"));
        await home.OkAsync("vault", "create", "--anchor-path", anchor);
        await home.OkAsync("secret", "set", "-n", "pw", "--value", "backed-up", "--anchor-path", anchor);
        var backup = home.PathOf("lost.kvbak");
        await home.OkAsync("vault", "backup", "--file", backup, "--anchor-path", anchor);
        await home.OkAsync("secret", "set", "-n", "pw", "--value", "later", "--anchor-path", anchor);
        var old = home.PathOf("old");
        Directory.CreateDirectory(old);
        foreach (var file in Directory.GetFiles(home.Folder, "vault*"))
        {
            File.Move(file, Path.Combine(old, Path.GetFileName(file)));
        }

        var refused = await home.RunAsync("vault", "restore", "--file", backup, "--to", home.VaultPath, "--anchor-path", anchor);
        refused.ExitCode.Should().Be(7, refused.ToString());
        refused.Stderr.Should().Contain("ERROR: (RollbackDetected)").And.Contain("--replace-existing-anchor").And.NotContain("--drop-anchor");
        File.Exists(home.VaultPath).Should().BeFalse();

        await home.OkAsync("vault", "restore", "--file", backup, "--to", home.VaultPath, "--anchor-path", anchor, "--replace-existing-anchor");
        (await home.OkAsync("secret", "show", "-n", "pw", "--anchor-path", anchor))!["value"]!.GetValue<string>().Should().Be("backed-up");

        foreach (var file in Directory.GetFiles(home.Folder, "vault*"))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.GetFiles(old))
        {
            File.Copy(file, Path.Combine(home.Folder, Path.GetFileName(file)));
        }

        var comeBack = await home.RunAsync("secret", "show", "-n", "pw", "--anchor-path", anchor);
        comeBack.ExitCode.Should().Be(7, comeBack.ToString());
        comeBack.Stderr.Should().StartWith("ERROR: (RollbackDetected)").And.NotContain("later");
    }

    [Fact]
    public async Task A_missing_vault_file_exits_3_and_is_not_created()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);

        var missing = await home.RunAsync("secret", "list");

        missing.ExitCode.Should().Be(3, missing.ToString());
        missing.Stderr.Should().StartWith("ERROR: (VaultNotFound)");
        missing.Stdout.Should().BeEmpty();
        Directory.GetFiles(home.Folder).Should().BeEmpty();
    }

    [Fact]
    public async Task Vault_create_refuses_an_existing_file()
    {
        using var home = await VaultHome.CreateAsync();
        var before = home.FileFingerprint();

        var again = await home.RunAsync("vault", "create");

        again.ExitCode.Should().Be(5, again.ToString());
        again.Stderr.Should().StartWith("ERROR: (Conflict)");
        home.FileFingerprint().Should().Equal(before);
    }

    [Fact]
    public async Task A_passphrase_root_read_from_stdin_opens_the_vault_and_rotate_root_moves_it_to_a_key_file()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        var noKey = new Dictionary<string, string?> { ["KV_ROOT_KEY"] = null };
        const string Passphrase = "correct horse battery staple\n";

        var mistyped = await home.RunWithAsync(["vault", "create", "--passphrase-prompt"], Passphrase + "correct horse battery stapel\n", noKey);
        mistyped.ExitCode.Should().Be(6, "a new vault's passphrase is asked twice: " + mistyped);
        File.Exists(home.VaultPath).Should().BeFalse();
        VaultHome.Ok(await home.RunWithAsync(["vault", "create", "--passphrase-prompt"], Passphrase + Passphrase, noKey))!["rootKind"]!.GetValue<string>().Should().Contain("passphrase");
        // The first line of standard input is the passphrase, the rest is the secret's value.
        VaultHome.Ok(await home.RunWithAsync(["secret", "set", "-n", "p", "--passphrase-prompt"], Passphrase + "the-value\n", noKey));
        var wrong = await home.RunWithAsync(["secret", "show", "-n", "p", "--passphrase-prompt"], "not the passphrase\n", noKey);
        wrong.ExitCode.Should().Be(8, wrong.ToString());
        wrong.Stderr.Should().NotContain("not the passphrase");

        var keyFile = home.PathOf("new-root.key");
        await File.WriteAllBytesAsync(keyFile, Convert.FromHexString(home.RootKeyHex));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        VaultHome.Ok(await home.RunWithAsync(["vault", "rotate-root", "--passphrase-prompt", "--new-root-key-file", keyFile], Passphrase, noKey))!
            ["rootKind"]!.GetValue<string>().Should().Be("software");
        (await home.OkAsync("secret", "show", "-n", "p"))!["value"]!.GetValue<string>().Should().Be("the-value");
    }

    [Fact]
    public async Task An_export_sealed_by_an_export_key_imports_into_a_vault_under_another_root()
    {
        using var source = await VaultHome.CreateAsync();
        using var target = await VaultHome.CreateAsync();
        await source.OkAsync("secret", "set", "-n", "moving", "--value", "moved-value");
        var exportKey = source.PathOf("export.key");
        await File.WriteAllBytesAsync(exportKey, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(exportKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var file = source.PathOf("objects.kvexport");
        var exported = await source.RunAsync("vault", "export", "--file", file, "--export-key-file", exportKey);
        VaultHome.Ok(exported)!["objects"]!.GetValue<int>().Should().Be(1);
        exported.Stderr.Should().MatchRegex(@"(?m)^export: 1/1 objects$");

        (await target.OkAsync("vault", "import", "--file", file, "--export-key-file", exportKey))!["objects"]!.GetValue<int>().Should().Be(1);
        (await target.OkAsync("secret", "show", "-n", "moving"))!["value"]!.GetValue<string>().Should().Be("moved-value");
    }

    [Fact]
    public async Task Migrate_root_to_a_passphrase_asks_it_twice_and_a_mismatch_changes_nothing()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("secret", "set", "-n", "kept", "--value", "kept-value");
        var before = home.FileFingerprint();

        var mismatch = await home.RunWithAsync(["vault", "migrate-root", "--to-passphrase-prompt"], "first passphrase\nsecond passphrase\n");

        mismatch.ExitCode.Should().Be(6, mismatch.ToString());
        mismatch.Stderr.Should().Contain("the two passphrases differ").And.NotContain("first passphrase");
        home.FileFingerprint().Should().Equal(before, "the new root is read before anything is written");

        var moved = VaultHome.Ok(await home.RunWithAsync(["vault", "migrate-root", "--to-passphrase-prompt"], "the new passphrase\nthe new passphrase\n"))!;
        moved["rootKind"]!.GetValue<string>().Should().Contain("passphrase");
        moved["resealedRecords"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(1);
        var noKey = new Dictionary<string, string?> { ["KV_ROOT_KEY"] = null };
        VaultHome.Ok(await home.RunWithAsync(["secret", "show", "-n", "kept", "--passphrase-prompt"], "the new passphrase\n", noKey))!["value"]!.GetValue<string>().Should().Be("kept-value");
        (await home.RunAsync("secret", "show", "-n", "kept")).ExitCode.Should().Be(8, "the old software root is gone");
    }

    [Fact]
    public async Task A_file_vault_and_a_postgresql_vault_together_are_refused()
    {
        using var home = await VaultHome.CreateAsync();

        var both = await home.RunAsync("secret", "list", "--vault", home.VaultPath, "--postgresql", "Host=127.0.0.1;Port=1;Username=x");
        var nameOnly = await home.RunAsync("secret", "list", "--vault-name", "other");

        both.ExitCode.Should().Be(6, both.ToString());
        both.Stderr.Should().Contain("not both");
        nameOnly.ExitCode.Should().Be(6, nameOnly.ToString());
        nameOnly.Stderr.Should().Contain("needs --postgresql");

        // An empty name (an unset shell variable) is not the default vault; a restore is not silently a file.
        var emptyName = await home.RunAsync("secret", "list", "--postgresql", "Host=127.0.0.1;Port=1;Username=x", "--vault-name", "");
        emptyName.ExitCode.Should().Be(6, emptyName.ToString());
        emptyName.Stderr.Should().Contain("--vault-name is empty");
        var backup = home.PathOf("vault.backup");
        await home.OkAsync("vault", "backup", "--file", backup);
        var restoreTo = home.PathOf("restored.db");
        var intoDatabase = await home.RunAsync("vault", "restore", "--file", backup, "--to", restoreTo, "--postgresql", "Host=127.0.0.1;Port=1;Username=x");
        intoDatabase.ExitCode.Should().Be(6, intoDatabase.ToString());
        intoDatabase.Stderr.Should().Contain("not restored into PostgreSQL");
        File.Exists(restoreTo).Should().BeFalse();
    }

    [Fact]
    public async Task Purge_protection_is_turned_on_for_good_by_enable_purge_protection()
    {
        using var home = await VaultHome.CreateAsync();
        (await home.OkAsync("vault", "show"))!["purgeProtectionEnabled"]!.GetValue<bool>().Should().BeFalse();

        (await home.OkAsync("vault", "enable-purge-protection"))!["purgeProtectionEnabled"]!.GetValue<bool>().Should().BeTrue();

        (await home.OkAsync("vault", "show"))!["purgeProtectionEnabled"]!.GetValue<bool>().Should().BeTrue("it is on disk, not only in the process that set it");
    }
}
