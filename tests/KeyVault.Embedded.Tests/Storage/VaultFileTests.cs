using KeyVault.Embedded.Tests.Support;
using LiteDB;

namespace KeyVault.Embedded.Tests.Storage;

public sealed class VaultFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Opening_a_missing_path_creates_a_vault_with_its_header()
    {
        Guid id;
        await using (var vault = await TestVaults.OpenAsync(Path.Combine(_dir.Path, "nested", "vault.db"), _key, configure: o =>
                     {
                         o.SoftDeleteRetentionDays = 30;
                         o.EnablePurgeProtection = true;
                     }))
        {
            id = vault.Properties.VaultId;
            id.Should().NotBeEmpty();
            vault.Properties.SoftDeleteRetentionDays.Should().Be(30);
            vault.Properties.PurgeProtectionEnabled.Should().BeTrue();
            vault.Properties.RootKind.Should().Be(SoftwareRootKey.KeyKind);
            vault.Properties.KeyEncryptionKeyVersion.Should().Be(1);
        }

        await using var reopened = await TestVaults.OpenAsync(Path.Combine(_dir.Path, "nested", "vault.db"), _key);
        reopened.Properties.VaultId.Should().Be(id);
        reopened.Properties.SoftDeleteRetentionDays.Should().Be(30);
        reopened.Properties.PurgeProtectionEnabled.Should().BeTrue();
    }

    [Fact]
    public async Task A_second_open_in_the_same_process_fails_at_once_as_in_use()
    {
        await using var first = await TestVaults.OpenAsync(VaultPath, _key);
        await first.Secrets.SetSecretAsync("s", "v");

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultInUse);
        error.Message.Should().Contain(Path.GetFullPath(VaultPath)).And.Contain("in use");
        (await first.Secrets.GetSecretAsync("s")).Value.Should().Be("v", "the failed open leaves the owner working");
    }

    [Fact]
    public async Task A_second_open_from_another_process_fails_at_once_as_in_use()
    {
        await (await TestVaults.OpenAsync(VaultPath, _key)).DisposeAsync();
        using var child = ChildProcess.Start("hold", VaultPath, Convert.ToHexString(_key));
        child.ExpectLine().Should().Be("OPEN");

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultInUse);
        error.Message.Should().Contain(Path.GetFullPath(VaultPath));
        child.CloseInput();
        child.WaitForExit(TimeSpan.FromSeconds(30)).Should().BeTrue();
        child.ExitCode.Should().Be(0);
        await (await TestVaults.OpenAsync(VaultPath, _key)).DisposeAsync();
    }

    [Fact]
    public async Task Closing_releases_the_file_for_the_next_owner()
    {
        var first = await TestVaults.OpenAsync(VaultPath, _key);
        await first.Secrets.SetSecretAsync("s", "v");
        await first.DisposeAsync();

        await using var second = await TestVaults.OpenAsync(VaultPath, _key);
        (await second.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task A_file_that_is_not_a_vault_is_refused_and_left_as_it_was()
    {
        Files.WriteOwnerOnly(VaultPath, Enumerable.Range(0, 3 * 8192).Select(i => (byte)(i * 7)).ToArray());
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task A_LiteDB_file_of_another_application_is_refused_and_left_as_it_was()
    {
        using (var other = new LiteDatabase($"Filename={VaultPath}"))
        {
            other.GetCollection("customers").Insert(new BsonDocument { ["name"] = "x" });
        }

        Files.MakeOwnerOnly(VaultPath);
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task A_vault_whose_header_was_removed_is_refused_and_never_created_anew_over_its_data()
    {
        await using (var vault = await TestVaults.OpenAsync(VaultPath, _key))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        using (var db = new LiteDatabase($"Filename={VaultPath}"))
        {
            db.GetCollection("records").Delete(KeyVault.Embedded.Records.RecordIds.Header).Should().BeTrue();
        }

        var before = Files.Snapshot(_dir.Path);

        foreach (var key in new[] { TestVaults.NewKey(), _key })
        {
            // Edited outside the vault: its pages no longer match their checksums (and LiteDB took its log away).
            var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, key)).Should().ThrowAsync<VaultException>()).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
            Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before, "a damaged vault is never overwritten");
        }

        // With its log back and its page checksums fixed up (as by someone who knows the format), the missing header is named.
        Files.WriteOwnerOnly(Files.LogOf(VaultPath), []);
        File.Delete(KeyVault.Embedded.Storage.DataFileStream.ChecksumPath(Path.GetFullPath(VaultPath)));
        var named = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;
        named.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        named.Message.Should().Contain("no vault header");
    }

    [Fact]
    public async Task A_never_checkpointed_vault_whose_log_was_deleted_is_an_integrity_error_naming_the_log_not_a_foreign_file()
    {
        // Before, its data file (LiteDB's header page, no collection yet) was taken for another application's file.
        IReadOnlyDictionary<string, byte[]> crashed;
        await using (var vault = await TestVaults.OpenAsync(VaultPath, _key))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
            crashed = RawFile.Snapshot(_dir.Path);
        }

        foreach (var file in Directory.GetFiles(_dir.Path))
        {
            File.Delete(file);
        }

        foreach (var (path, bytes) in crashed.Where(f => f.Key != Path.GetFullPath(Files.LogOf(VaultPath))))
        {
            Files.WriteOwnerOnly(path, bytes);
        }

        crashed[Path.GetFullPath(Files.LogOf(VaultPath))].Length.Should().BeGreaterThan(0, "every commit was still in the log");
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        error.Message.Should().Contain("no log file");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before, "nothing is written, and no new log is made");
    }

    [Fact]
    public async Task A_short_file_of_another_application_is_refused_and_left_as_it_was()
    {
        // Before, every file under one page was taken as a cut-off creation: notes.txt became an empty vault.
        var notes = "my notes, not a vault\n"u8.ToArray();
        Files.WriteOwnerOnly(VaultPath, notes);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);
        File.ReadAllBytes(VaultPath).Should().Equal(notes);
        Directory.GetFiles(_dir.Path).Should().ContainSingle("no log or checksums were made beside it");
    }

    [Fact]
    public async Task A_vault_cut_short_inside_its_first_page_is_an_integrity_error_and_never_a_new_vault()
    {
        await using (var vault = await TestVaults.OpenAsync(VaultPath, _key))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        var cut = File.ReadAllBytes(VaultPath)[..4096];
        Files.WriteOwnerOnly(VaultPath, cut);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        error.Message.Should().Contain("cut short");
        File.ReadAllBytes(VaultPath).Should().Equal(cut, "nothing was written");
    }

    [Fact]
    public async Task A_data_file_cut_off_inside_its_first_page_is_a_new_vault()
    {
        // A process killed during LiteDB's first 8 KiB header write leaves less than a page: nothing was committed.
        Files.WriteOwnerOnly(VaultPath, new byte[4096]);

        await using var vault = await TestVaults.OpenAsync(VaultPath, _key);

        await vault.Secrets.SetSecretAsync("s", "v");
        (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task Options_without_a_path_or_a_root_are_refused_naming_the_option()
    {
        (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_key) }))
            .Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("Path");
        (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath }))
            .Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("RootKey");
        Directory.GetFiles(_dir.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task A_path_that_is_a_directory_or_holds_a_nul_is_refused_naming_the_option_and_creates_nothing()
    {
        foreach (var (path, mention) in new[] { (_dir.Path, "directory"), (VaultPath + "\0x", "NUL") })
        {
            var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path, RootKey = SoftwareRootKey.FromBytes(_key) }))
                .Should().ThrowAsync<VaultException>()).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
            error.Message.Should().Contain("Path").And.Contain(mention);
        }

        Directory.GetFileSystemEntries(_dir.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task A_vault_file_is_readable_only_by_its_owner()
    {
        await (await TestVaults.OpenAsync(VaultPath, _key)).DisposeAsync();

        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(VaultPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
