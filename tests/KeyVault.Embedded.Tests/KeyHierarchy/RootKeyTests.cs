using System.Text;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.KeyHierarchy;

public sealed class RootKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_key_file_in_hex_base64_or_raw_bytes_opens_the_vault()
    {
        var key = TestVaults.NewKey();
        var hexFile = _dir.File("key.hex");
        var base64File = _dir.File("key.b64");
        var rawFile = _dir.File("key.bin");
        Files.WriteOwnerOnly(hexFile, Convert.ToHexString(key) + "\n");
        Files.WriteOwnerOnly(base64File, Convert.ToBase64String(key));
        Files.WriteOwnerOnly(rawFile, key);

        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(hexFile) }))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        foreach (var file in new[] { base64File, rawFile })
        {
            await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(file) });
            (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        }
    }

    [Fact]
    public async Task A_key_from_an_environment_variable_opens_the_vault()
    {
        var key = TestVaults.NewKey();
        var variable = "KVE_TEST_ROOT_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, Convert.ToBase64String(key));
        try
        {
            await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromEnvironmentVariable(variable) }))
            {
                await vault.Secrets.SetSecretAsync("s", "v");
            }

            await using var reopened = await TestVaults.OpenAsync(VaultPath, key);
            (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("v", "the same key given as bytes opens it");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task A_missing_variable_or_a_malformed_key_is_a_clear_error_that_never_shows_the_value()
    {
        var variable = "KVE_TEST_ROOT_" + Guid.NewGuid().ToString("N");
        var missing = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromEnvironmentVariable(variable) }))
            .Should().ThrowAsync<VaultException>()).Which;
        missing.ErrorCode.Should().Be(VaultErrorCode.RootKeyUnavailable);
        missing.Message.Should().Contain(variable);

        Environment.SetEnvironmentVariable(variable, "short-and-secret-text");
        try
        {
            var malformed = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromEnvironmentVariable(variable) }))
                .Should().ThrowAsync<VaultException>()).Which;
            malformed.ErrorCode.Should().Be(VaultErrorCode.RootKeyUnavailable);
            malformed.Message.Should().NotContain("short-and-secret-text");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        var shortFile = _dir.File("short.key");
        Files.WriteOwnerOnly(shortFile, new byte[17]);
        (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(shortFile) }))
            .Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyUnavailable);
        File.Exists(VaultPath).Should().BeFalse("a failed creation leaves no file behind");
        FluentActions.Invoking(() => SoftwareRootKey.FromBytes(new byte[31])).Should().Throw<VaultException>()
            .Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
    }

    [Fact]
    public async Task A_generated_key_file_is_owner_only_and_refuses_to_overwrite()
    {
        var file = _dir.File("dev.key");
        SoftwareRootKey.CreateKeyFile(file);

        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(file) }))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        FluentActions.Invoking(() => SoftwareRootKey.CreateKeyFile(file)).Should().Throw<IOException>();
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task A_passphrase_root_records_its_Argon2id_parameters_and_opens_with_the_passphrase_alone()
    {
        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("correct horse battery staple") }))
        {
            vault.Properties.RootKind.Should().Be(SoftwareRootKey.PassphraseKind);
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("correct horse battery staple"u8) }))
        {
            (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        }

        var before = Files.Snapshot(_dir.Path);
        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("wrong horse") }))
            .Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        error.Message.Should().NotContain("horse");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public void Argon2id_below_64_MiB_or_3_passes_is_refused()
    {
        FluentActions.Invoking(() => SoftwareRootKey.FromPassphrase("p", memoryKiB: 32 * 1024)).Should().Throw<VaultException>().Which.Message.Should().Contain("64 MiB");
        FluentActions.Invoking(() => SoftwareRootKey.FromPassphrase("p", iterations: 2)).Should().Throw<VaultException>().Which.Message.Should().Contain("3");
        FluentActions.Invoking(() => SoftwareRootKey.FromPassphrase(string.Empty)).Should().Throw<VaultException>();
    }

    [Fact]
    public void A_passphrase_that_is_not_text_is_refused_so_that_two_passphrases_never_become_one()
    {
        // A lossy encoding turned each lone surrogate into U+FFFD: "pw\ud800" and "pw\udbff" opened the same vault.
        foreach (var passphrase in new[] { "pw\ud800", "pw\udbff", "\udc00pw" })
        {
            FluentActions.Invoking(() => SoftwareRootKey.FromPassphrase(passphrase)).Should().Throw<VaultException>()
                .Which.Message.Should().Contain("lone surrogate");
        }

        using var text = SoftwareRootKey.FromPassphrase("pw\ud83d\ude00"); // a surrogate pair is text (an emoji)
        text.Should().NotBeNull();
    }

    [Fact]
    public async Task A_root_of_another_kind_is_refused_by_name()
    {
        var key = TestVaults.NewKey();
        await (await TestVaults.OpenAsync(VaultPath, key)).DisposeAsync();

        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("p") }))
            .Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        error.Message.Should().Contain(SoftwareRootKey.KeyKind).And.Contain(SoftwareRootKey.PassphraseKind);
    }

    [Fact]
    public async Task A_wrong_key_fails_at_open_and_leaves_the_files_byte_identical_even_with_a_crashed_log()
    {
        var key = TestVaults.NewKey();
        using (var child = ChildProcess.Start("write", VaultPath, Convert.ToHexString(key), "0"))
        {
            for (var i = 0; i < 20; i++)
            {
                child.ExpectLine();
            }

            child.Kill();
        }

        new FileInfo(Files.LogOf(VaultPath)).Length.Should().BeGreaterThan(0, "the killed writer left commits in the log");
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, TestVaults.NewKey())).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        error.Message.Should().Contain("does not open this vault");
        var after = Files.Snapshot(_dir.Path);
        after.Keys.Should().BeEquivalentTo(before.Keys);
        foreach (var (file, bytes) in before)
        {
            after[file].Should().Equal(bytes, $"{Path.GetFileName(file)} must be untouched");
        }

        await using var vault = await TestVaults.OpenAsync(VaultPath, key);
        (await vault.Secrets.GetSecretAsync("s0")).Value.Should().Be("value-0");
    }

    [Fact]
    public async Task ToString_of_a_root_names_its_source_and_never_its_key()
    {
        var key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");
        using var root = SoftwareRootKey.FromBytes(key);
        root.ToString().Should().NotContain("0123456789abcdef").And.Contain("software");
        await Task.CompletedTask;
    }
}
