using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// The vault's files in a folder someone else can write: a link planted where a file should be, a file another user
/// pre-created, or one left open to the group. Each is refused, naming the path and the command that fixes it, and the
/// file (and whatever a link points to) stays as it was.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class FileSecurityTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("data")]
    [InlineData("log")]
    public async Task A_vault_or_log_file_that_is_a_symbolic_link_is_refused_and_its_target_untouched(string which)
    {
        await CreateAsync();
        var path = which == "data" ? VaultPath : Files.LogOf(VaultPath);
        var target = _dir.File("elsewhere");
        File.Move(path, target);
        File.CreateSymbolicLink(path, target);
        var before = File.ReadAllBytes(target);

        var error = await RefusedAsync();

        error.Message.Should().Contain(path).And.Contain("symbolic link");
        File.ReadAllBytes(target).Should().Equal(before);
    }

    [Fact]
    public async Task A_link_planted_where_a_new_vault_would_be_created_is_refused_and_writes_nothing_through_it()
    {
        var victim = _dir.File("victim");
        File.WriteAllText(victim, "someone else's file");
        File.CreateSymbolicLink(VaultPath, victim);

        await RefusedAsync();

        File.ReadAllText(victim).Should().Be("someone else's file");
    }

    [Theory]
    [InlineData("data", UnixFileMode.GroupRead)]
    [InlineData("data", UnixFileMode.OtherRead | UnixFileMode.OtherWrite)]
    [InlineData("log", UnixFileMode.GroupRead)]
    [InlineData("pages", UnixFileMode.OtherRead)]
    public async Task A_file_readable_or_writable_by_group_or_others_is_refused_naming_the_chmod(string which, UnixFileMode extra)
    {
        await CreateAsync();
        var path = which switch
        {
            "data" => VaultPath,
            "log" => Files.LogOf(VaultPath),
            _ => _dir.File("vault-pages.db"),
        };
        File.SetUnixFileMode(path, OwnerOnly | extra);
        var before = Files.Snapshot(_dir.Path);

        var error = await RefusedAsync();

        error.Message.Should().Contain($"chmod 600 '{path}'");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
        File.SetUnixFileMode(path, OwnerOnly);
        await (await TestVaults.OpenAsync(VaultPath, _key)).DisposeAsync();
    }

    [Fact]
    public async Task A_vault_file_owned_by_another_user_is_refused_naming_the_chown()
    {
        await CreateAsync();
        GiveToAnotherUser(VaultPath);

        var error = await RefusedAsync();

        error.Message.Should().Contain("owned by user id 65534").And.Contain("chown");
    }

    [Fact]
    public async Task A_root_key_file_open_to_others_owned_by_another_user_or_a_link_is_refused()
    {
        var keyFile = _dir.File("root.key");
        SoftwareRootKey.CreateKeyFile(keyFile);
        await (await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(keyFile) })).DisposeAsync();

        File.SetUnixFileMode(keyFile, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        (await KeyRefusedAsync(keyFile)).Message.Should().Contain($"chmod 600 '{keyFile}'");

        File.SetUnixFileMode(keyFile, OwnerOnly);
        var real = _dir.File("real.key");
        File.Move(keyFile, real);
        File.CreateSymbolicLink(keyFile, real);
        (await KeyRefusedAsync(keyFile)).Message.Should().Contain("symbolic link");

        File.Delete(keyFile);
        File.Move(real, keyFile);
        GiveToAnotherUser(keyFile);
        (await KeyRefusedAsync(keyFile)).Message.Should().Contain("chown");
    }

    private async Task<VaultException> KeyRefusedAsync(string keyFile)
    {
        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromFile(keyFile) }))
            .Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.InsecureFile);
        return error;
    }

    private async Task CreateAsync()
    {
        await using var vault = await TestVaults.OpenAsync(VaultPath, _key);
        await vault.Secrets.SetSecretAsync("s", "v");
    }

    private async Task<VaultException> RefusedAsync()
    {
        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, _key)).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.InsecureFile);
        error.Status.Should().Be(403);
        return error;
    }

    /// <summary>Hands a file to user 65534 (nobody): directly when the tests run as root, else through <c>sudo -n</c>.</summary>
    private static void GiveToAnotherUser(string path)
    {
        if (GetEuid() == 0)
        {
            Chown(path, 65534, 65534).Should().Be(0, "root can give a file away");
            return;
        }

        using var sudo = Process.Start(new ProcessStartInfo("sudo", ["-n", "chown", "65534:65534", path]) { RedirectStandardError = true })!;
        sudo.WaitForExit();
        sudo.ExitCode.Should().Be(0, "the test needs root or password-less sudo to make a file of another user: " + sudo.StandardError.ReadToEnd());
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
