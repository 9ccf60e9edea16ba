using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Pkcs11.Tests.Support;
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

        await _vault.Keys.DeleteKeyAsync("signer");
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

    private Task<EmbeddedVault> OpenAsync(string file) =>
        EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File(file), RootKey = _root });
}
