using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Integrity;

/// <summary>
/// Putting back an older copy of the whole vault (all its files, consistent with one another) is found by the anchor
/// file kept at another path: the attack that no MAC inside the files can see.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RollbackTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _elsewhere = new();
    private readonly byte[] _key = TestVaults.NewKey();

    private string VaultFolder => Path.Combine(_dir.Path, "vault");

    private string VaultPath => Path.Combine(VaultFolder, "vault.db");

    private string AnchorPath => _elsewhere.File(Path.Combine("anchors", "vault.anchor"));

    public void Dispose()
    {
        _dir.Dispose();
        _elsewhere.Dispose();
    }

    [Fact]
    public async Task Putting_back_an_older_copy_of_the_vault_files_is_refused_as_a_rollback()
    {
        await WriteAsync("password", "old");
        var copy = CopyVault("copy");
        await WriteAsync("password", "new-after-compromise");

        PutBack(copy);
        var error = (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        error.Message.Should().Contain("generation").And.Contain(AnchorPath).And.NotContain("new-after-compromise");
        ByName(VaultFolder).Should().BeEquivalentTo(ByName(copy), "a refused open changes nothing");
    }

    [Fact]
    public async Task Without_an_anchor_the_same_rollback_goes_unnoticed_which_is_why_the_anchor_exists()
    {
        await WriteAsync("password", "old", anchored: false);
        var copy = CopyVault("copy");
        await WriteAsync("password", "new", anchored: false);

        PutBack(copy);
        await using var vault = await OpenAsync(anchored: false);

        (await vault.Secrets.GetSecretAsync("password")).Value.Should().Be("old");
    }

    [Fact]
    public async Task Removing_the_anchor_of_an_anchored_vault_is_refused_as_a_rollback()
    {
        await WriteAsync("password", "v1");
        File.Delete(AnchorPath);

        var error = (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        error.Message.Should().Contain("missing");
    }

    [Fact]
    public async Task An_anchor_of_another_vault_or_an_edited_anchor_is_refused()
    {
        await WriteAsync("password", "v1");
        var other = TestVaults.Options(_dir.File("other.db"), TestVaults.NewKey());
        other.AnchorPath = _elsewhere.File("other.anchor");
        await (await EmbeddedVault.OpenAsync(other)).DisposeAsync();
        var original = File.ReadAllBytes(AnchorPath);

        File.Copy(other.AnchorPath, AnchorPath, overwrite: true);
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);

        var edited = original.ToArray();
        edited[25] ^= 1;
        File.WriteAllBytes(AnchorPath, edited);
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);

        File.WriteAllBytes(AnchorPath, original);
        await using var vault = await OpenAsync();
        (await vault.Secrets.GetSecretAsync("password")).Value.Should().Be("v1");
    }

    [Fact]
    public async Task A_crash_between_the_commit_and_the_anchor_leaves_a_vault_one_commit_ahead_which_opens_and_reanchors()
    {
        await WriteAsync("password", "v1");
        var anchorBefore = File.ReadAllBytes(AnchorPath);
        await WriteAsync("password", "v2");

        // The anchor as it was before the last commit: what a crash after the vault's fsync and before the anchor's leaves.
        File.WriteAllBytes(AnchorPath, anchorBefore);
        await using (var vault = await OpenAsync())
        {
            (await vault.Secrets.GetSecretAsync("password")).Value.Should().Be("v2", "an acknowledged write is kept");
        }

        File.ReadAllBytes(AnchorPath).Should().NotEqual(anchorBefore, "the open brought the anchor up to the vault");
        var copy = CopyVault("copy");
        await WriteAsync("password", "v3");
        PutBack(copy);
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
    }

    [Fact]
    public async Task An_operator_takes_up_an_older_copy_deliberately_by_opening_it_once_without_the_anchor_told_to_drop_it()
    {
        await WriteAsync("password", "old");
        var copy = CopyVault("copy");
        await WriteAsync("password", "new");
        PutBack(copy);

        // A tool or a deployment that merely has no anchor configured is refused and changes nothing: going on would
        // take the older copy up for good (its commit moves the files past the anchor).
        var refused = (await FluentActions.Awaiting(() => OpenAsync(anchored: false)).Should().ThrowAsync<VaultException>()).Which;
        refused.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        refused.Message.Should().Contain("DropRollbackAnchor").And.Contain("--anchor-path");
        ByName(VaultFolder).Should().BeEquivalentTo(ByName(copy), "a refused open changes nothing");
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected, "the anchor still catches the copy");

        await (await TestVaults.OpenAsync(VaultPath, _key, configure: o => o.DropRollbackAnchor = true)).DisposeAsync();

        // The anchor left behind no longer vouches for the vault (a new lineage): an open with it is refused until it is
        // removed, so a stale anchor can never be taken for the vault's own.
        var stale = (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which;
        stale.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        stale.Message.Should().Contain("another line of its history").And.Contain("remove it");
        File.Delete(AnchorPath);

        await using var vault = await OpenAsync();
        (await vault.Secrets.GetSecretAsync("password")).Value.Should().Be("old");
        File.Exists(AnchorPath).Should().BeTrue("the anchored open seeded a new anchor");
    }

    [Fact]
    public async Task An_anchor_file_open_to_others_or_a_link_is_refused()
    {
        await WriteAsync("password", "v1");
        File.SetUnixFileMode(AnchorPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.InsecureFile);

        File.SetUnixFileMode(AnchorPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var real = _elsewhere.File("real.anchor");
        File.Move(AnchorPath, real);
        File.CreateSymbolicLink(AnchorPath, real);
        (await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.InsecureFile);
    }

    [Fact]
    public async Task A_root_rotation_carries_the_anchor_to_the_new_root_and_a_crash_before_its_last_write_still_opens()
    {
        await WriteAsync("password", "v1");
        var newKey = TestVaults.NewKey();
        await using (var vault = await OpenAsync())
        {
            await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(newKey));
            await vault.Secrets.SetSecretAsync("password", "v2");
        }

        // The anchor now verifies under the new root: a rollback is still refused.
        var copy = CopyVault("copy");
        await using (var vault = await OpenAsync(key: newKey))
        {
            await vault.Secrets.SetSecretAsync("password", "v3");
        }

        PutBack(copy);
        (await FluentActions.Awaiting(() => OpenAsync(key: newKey)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
    }

    [Fact]
    public async Task A_crash_after_a_root_rotation_commits_and_before_the_anchor_follows_opens_under_the_new_root()
    {
        await WriteAsync("password", "v1");
        Guid vaultId;
        await using (var vault = await OpenAsync())
        {
            vaultId = vault.Properties.VaultId;
        }

        // What the anchor holds between the rotation's commit and its last anchor write: the state before the commit,
        // MAC'd under both roots (written before the commit).
        var newKey = TestVaults.NewKey();
        using var oldKeys = await KeysOfAsync(_key, vaultId);
        using var newKeys = await KeysOfAsync(newKey, vaultId);
        var before = KeyVault.Embedded.Integrity.AnchorState.Decode(File.ReadAllBytes(AnchorPath), oldKeys)!.Value;
        await using (var vault = await OpenAsync())
        {
            await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(newKey));
        }

        File.WriteAllBytes(AnchorPath, before.Encode(oldKeys, newKeys));
        await using (var vault = await OpenAsync(key: newKey))
        {
            (await vault.Secrets.GetSecretAsync("password")).Value.Should().Be("v1");
        }

        KeyVault.Embedded.Integrity.AnchorState.Decode(File.ReadAllBytes(AnchorPath), newKeys)!.Value.Generation.Should().BeGreaterThan(before.Generation, "the open brought the anchor up to the files");
    }

    [Fact]
    public async Task An_anchor_that_cannot_be_written_stops_the_vault_taking_writes_and_a_root_rotation_commits_nothing()
    {
        await WriteAsync("password", "v1");
        var anchorFolder = Path.GetDirectoryName(AnchorPath)!;
        await using (var vault = await OpenAsync())
        {
            // The anchor's folder replaced by a file: every anchor write fails (for root too, unlike a mode change).
            var saved = File.ReadAllBytes(AnchorPath);
            Directory.Delete(anchorFolder, recursive: true);
            File.WriteAllText(anchorFolder, "not a folder");

            var rotation = (await FluentActions.Awaiting(() => vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()))).Should().ThrowAsync<VaultException>()).Which;
            rotation.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
            rotation.Message.Should().Contain("nothing was committed");
            (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("password", "v2")).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);

            File.Delete(anchorFolder);
            Directory.CreateDirectory(anchorFolder);
            File.WriteAllBytes(AnchorPath, saved);
            File.SetUnixFileMode(AnchorPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var reopened = await OpenAsync();
        (await reopened.Secrets.GetSecretAsync("password")).Value.Should().Be("v1", "the old root still opens: the rotation committed nothing");
    }

    private static async Task<KeyVault.Embedded.Integrity.MetadataKeys> KeysOfAsync(byte[] key, Guid vaultId)
    {
        using var provider = SoftwareRootKey.FromBytes(key);
        using var root = await provider.OpenAsync(new RootKeyContext(vaultId, null), CancellationToken.None);
        var binding = await root.DeriveKeyAsync(KeyVault.Embedded.Integrity.MetadataKeys.BindingContext, CancellationToken.None);
        return new KeyVault.Embedded.Integrity.MetadataKeys(vaultId, binding, new KeyVault.Embedded.KeyHierarchy.KeyEncryptionKeyRing());
    }

    private async Task WriteAsync(string name, string value, bool anchored = true)
    {
        await using var vault = await OpenAsync(anchored);
        await vault.Secrets.SetSecretAsync(name, value);
    }

    private Task<EmbeddedVault> OpenAsync(bool anchored = true, byte[]? key = null)
    {
        Directory.CreateDirectory(VaultFolder);
        return TestVaults.OpenAsync(VaultPath, key ?? _key, configure: o => o.AnchorPath = anchored ? AnchorPath : null);
    }

    /// <summary>A copy of every vault file, as an attacker who can read and write the vault's folder keeps one.</summary>
    private string CopyVault(string name)
    {
        var copy = _dir.File(name);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(VaultFolder))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    private static Dictionary<string, byte[]> ByName(string folder) =>
        Files.Snapshot(folder).ToDictionary(f => Path.GetFileName(f.Key), f => f.Value);

    private void PutBack(string copy)
    {
        foreach (var file in Directory.GetFiles(VaultFolder))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.GetFiles(copy))
        {
            var target = Path.Combine(VaultFolder, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
