using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Backup;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary>
/// Backups of a token-rooted vault and of HSM keys: the key never leaves the token, so its backup carries the reference
/// and restores only under the same token while the token object exists.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class HsmBackupTests(SoftHsm hsm) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Pkcs11RootKey _root = null!;
    private EmbeddedVault _vault = null!;

    public async Task InitializeAsync()
    {
        _root = hsm.NewRoot(out _);
        _vault = await OpenAsync("vault.db");
    }

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _root.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_HSM_key_backup_restores_under_the_same_token_and_signs_with_the_same_token_object()
    {
        var key = await _vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signer", hardwareProtected: true));
        var blob = await _vault.Keys.BackupKeyAsync("signer");
        await using var sibling = await OpenAsync("sibling.db");

        var restored = await sibling.Keys.RestoreKeyBackupAsync(blob);

        restored.KeyType.Should().Be(KeyType.EcHsm);
        restored.Properties.Version.Should().Be(key.Properties.Version);
        var digest = SHA256.HashData("data"u8);
        using var client = sibling.Keys.GetCryptographyClient("signer");
        var signature = client.Sign(SignatureAlgorithm.ES256, digest).Signature;
        using var publicKey = key.Key.ToECDsa();
        publicKey.VerifyHash(digest, signature).Should().BeTrue("the restored key is the same token object");
    }

    [Fact]
    public async Task An_HSM_key_does_not_restore_under_a_software_root_nor_once_its_token_object_is_gone()
    {
        await _vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signer", hardwareProtected: true));
        var blob = await _vault.Keys.BackupKeyAsync("signer");
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var export = new MemoryStream();
        await _vault.ExportAsync(export, exportKey);

        await using (var software = await TestVaults.OpenAsync(_dir.File("software.db"), TestVaults.NewKey()))
        {
            // The blob is sealed under the token's key: another root cannot even open it.
            (await FluentActions.Awaiting(() => software.Keys.RestoreKeyBackupAsync(blob)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);

            // A portable export opens anywhere, but the HSM key in it needs its token.
            export.Position = 0;
            var refused = (await FluentActions.Awaiting(() => software.ImportAsync(export, exportKey)).Should().ThrowAsync<VaultException>()).Which;
            refused.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
            refused.Message.Should().Contain("HSM").And.Contain("token");
            (await software.Keys.GetPropertiesOfKeysAsync().CountAsync()).Should().Be(0);
        }

        // Under the same token the export's HSM key imports and works.
        await using (var onToken = await OpenAsync("on-token.db"))
        {
            export.Position = 0;
            (await onToken.ImportAsync(export, exportKey)).Objects.Should().Be(1);
            using var client = onToken.Keys.GetCryptographyClient("signer");
            var digest = SHA256.HashData("y"u8);
            client.Verify(SignatureAlgorithm.ES256, digest, client.Sign(SignatureAlgorithm.ES256, digest).Signature).IsValid.Should().BeTrue();
        }

        await _vault.Keys.StartDeleteKeyAsync("signer");
        await _vault.Keys.PurgeDeletedKeyAsync("signer"); // destroys the token object
        await using var sibling = await OpenAsync("sibling.db");
        var missing = await FluentActions.Awaiting(() => sibling.Keys.RestoreKeyBackupAsync(blob)).Should().ThrowAsync<VaultException>();
        missing.Which.ErrorCode.Should().Be(Pkcs11ErrorCodes.TokenObjectMissing);
        (await sibling.Keys.GetPropertiesOfKeysAsync().CountAsync()).Should().Be(0, "a refused restore writes nothing");
    }

    [Fact]
    public async Task A_token_rooted_vault_backs_up_and_restores_whole_with_its_HSM_keys()
    {
        var key = await _vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("rsa", hardwareProtected: true));
        await _vault.Secrets.SetSecretAsync("db", "value");
        var backup = _dir.File("vault.kvbak");
        await _vault.BackupAsync(backup);

        (await EmbeddedVault.VerifyBackupAsync(backup, _root)).Keys.Should().Be(1);
        await EmbeddedVault.RestoreAsync(backup, new EmbeddedVaultOptions { Path = _dir.File("restored.db"), RootKey = _root });
        await using var restored = await OpenAsync("restored.db");
        (await restored.Secrets.GetSecretAsync("db")).Value.Should().Be("value");
        var digest = SHA256.HashData("x"u8);
        using var client = restored.Keys.GetCryptographyClient("rsa");
        using var rsa = key.Key.ToRSA();
        rsa.VerifyHash(digest, client.Sign(SignatureAlgorithm.RS256, digest).Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();

        (await FluentActions.Awaiting(() => EmbeddedVault.VerifyBackupAsync(backup, SoftwareRootKey.FromBytes(TestVaults.NewKey()))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
    }

    [Fact]
    public async Task A_crafted_export_cannot_point_a_key_at_the_root_key_or_another_vaults_token_key()
    {
        // The root key has a 16-byte CKA_ID, so a reference could name it; a second vault under another root key in the
        // same token owns a sign-only key.
        var token = hsm.NewToken();
        var rootOptions = SoftHsm.Options(token);
        rootOptions.KeyId = RandomNumberGenerator.GetBytes(16);
        Pkcs11RootKey.CreateRootKey(rootOptions);
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token, "other-root"));
        using var root = new Pkcs11RootKey(rootOptions);
        using var otherRoot = new Pkcs11RootKey(SoftHsm.Options(token, "other-root"));
        await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("v.db"), RootKey = root });
        await using var other = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("o.db"), RootKey = otherRoot });
        var victim = await other.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("victim", hardwareProtected: true) { KeyOperations = { KeyOperation.Sign } });
        var victimReference = (await other.Core.Reader.VersionsAsync(other.Core.Manifest.Objects(ObjectType.Key).Single(), default)).Single().Attributes.Key!.HsmReference!;

        // The importer (who holds the export key, not the vault's root) exports a real token key and edits its reference.
        await vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("template", hardwareProtected: true));
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var export = new MemoryStream();
        await vault.ExportAsync(export, exportKey, new VaultExportOptions { KeyNames = ["template"] });
        var serial = victimReference[..victimReference.LastIndexOf(':')];
        foreach (var target in new[] { $"{serial}:{Convert.ToHexString(rootOptions.KeyId)}", victimReference })
        {
            var crafted = await RewriteAsync(export.ToArray(), exportKey, objects =>
            {
                var version = objects.Single().Versions.Single();
                var json = Encoding.UTF8.GetString(version.AttributeBytes).Replace(version.Attributes.Key!.HsmReference!, target, StringComparison.Ordinal);
                var bytes = Encoding.UTF8.GetBytes(json);
                var attributes = System.Text.Json.JsonSerializer.Deserialize(bytes, RecordJsonContext.Default.RecordAttributes)!;
                return [new BundledObject(objects.Single().Record with { Name = "evil" }, [version with { AttributeBytes = bytes, Attributes = attributes, Payload = Encoding.UTF8.GetBytes(target) }])];
            });

            var refused = await FluentActions.Awaiting(() => vault.ImportAsync(new MemoryStream(crafted), exportKey)).Should().ThrowAsync<VaultException>();
            refused.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch, "the reference's tag is not this root's");
            await FluentActions.Awaiting(() => vault.Keys.GetKeyAsync("evil")).Should().ThrowAsync<VaultObjectNotFoundException>();
        }

        // The same export, unedited, is vouched for by this root only: the other vault refuses it.
        export.Position = 0;
        (await FluentActions.Awaiting(() => other.ImportAsync(export, exportKey)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        victim.Key.KeyOps.Should().Equal([KeyOperation.Sign]);
    }

    [Fact]
    public async Task A_restore_does_not_lower_a_token_anchor_unless_told_the_vault_is_gone()
    {
        var token = hsm.NewToken();
        var options = SoftHsm.Options(token);
        options.UseTokenAnchor = true;
        Pkcs11RootKey.CreateRootKey(options);
        using var root = new Pkcs11RootKey(options);
        await using (var live = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("live.db"), RootKey = root }))
        {
            await live.Secrets.SetSecretAsync("pw", "old");
            await live.BackupAsync(_dir.File("b.kvbak"));
            await live.Secrets.SetSecretAsync("pw", "new"); // the token anchor moves past the backup
        }

        var side = new EmbeddedVaultOptions { Path = _dir.File("side.db"), RootKey = root };
        var refused = await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(_dir.File("b.kvbak"), side)).Should().ThrowAsync<VaultException>();
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        File.Exists(_dir.File("side.db")).Should().BeFalse();
        await using (var live = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("live.db"), RootKey = root }))
        {
            (await live.Secrets.GetSecretAsync("pw")).Value.Should().Be("new", "the live vault's anchor was not lowered");
        }

        // The live vault is gone for good: the operator says so.
        File.Delete(_dir.File("live.db"));
        await EmbeddedVault.RestoreAsync(_dir.File("b.kvbak"), side, new VaultRestoreOptions { ReplaceExistingAnchor = true });
        await using var restored = await EmbeddedVault.OpenAsync(side);
        (await restored.Secrets.GetSecretAsync("pw")).Value.Should().Be("old");
    }

    private static Task<byte[]> RewriteAsync(byte[] export, IRootKeyProvider exportKey, Func<List<BundledObject>, List<BundledObject>> edit) =>
        ExportRewriter.RewriteAsync(export, exportKey, plaintext => ObjectBundle.Encode(edit(ObjectBundle.Decode(plaintext))));

    private Task<EmbeddedVault> OpenAsync(string file) =>
        EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File(file), RootKey = _root });
}
