using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Certificates;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Backup;

/// <summary>Azure's per-object backups: every version and its attributes, restored under the same name and version ids, into vaults that share the root.</summary>
public sealed class ObjectBackupTests : CertificateTestBase
{
    [Fact]
    public async Task A_secret_with_every_version_state_restores_with_its_ids_values_and_attributes()
    {
        var first = await Secrets.SetSecretAsync(new KeyVaultSecret("db", "one") { Properties = { ContentType = "text/plain", Tags = { ["env"] = "prod" } } });
        var second = await Secrets.SetSecretAsync(new KeyVaultSecret("db", "two") { Properties = { ExpiresOn = Start.AddDays(1) } });
        var third = await Secrets.SetSecretAsync("db", "three");
        var disabled = second.Properties;
        disabled.Enabled = false;
        await Secrets.UpdateSecretPropertiesAsync(disabled);
        Time.Advance(TimeSpan.FromDays(2)); // the second version is now expired as well as disabled
        var before = await Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync();

        var blob = await Secrets.BackupSecretAsync("db");
        await Secrets.StartDeleteSecretAsync("db");
        await Secrets.PurgeDeletedSecretAsync("db");
        var restored = await Secrets.RestoreSecretBackupAsync(blob);

        restored.Version.Should().Be(third.Properties.Version, "the current version is the newest one backed up");
        var after = await Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync();
        after.Should().BeEquivalentTo(before);
        (await Secrets.GetSecretAsync("db", first.Properties.Version)).Value.Should().Be("one");
        (await Secrets.GetSecretAsync("db")).Value.Should().Be("three");
        var second2 = after.Single(p => p.Version == second.Properties.Version);
        second2.Enabled.Should().BeFalse();
        second2.ExpiresOn.Should().Be(Start.AddDays(1));
        after.Single(p => p.Version == first.Properties.Version).Tags.Should().Contain("env", "prod");

        await ReopenAsync();
        (await Secrets.GetSecretAsync("db")).Value.Should().Be("three", "the restore is durable and verifies at open");
    }

    [Fact]
    public async Task The_blob_holds_no_plaintext_value_and_names_no_secret_in_clear()
    {
        const string value = "correct-horse-battery-staple-0123456789";
        await Secrets.SetSecretAsync("very-secret-name", value);

        var blob = await Secrets.BackupSecretAsync("very-secret-name");

        Encoding.UTF8.GetString(blob).Should().NotContain(value).And.NotContain("very-secret-name");
        blob.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)).Should().Be(-1);
    }

    [Fact]
    public async Task Restore_is_refused_while_the_name_exists_active_or_deleted_and_changes_nothing()
    {
        await Secrets.SetSecretAsync("db", "old");
        var blob = await Secrets.BackupSecretAsync("db");
        await Secrets.SetSecretAsync("db", "newer");

        var active = await RefusedAsync(() => Secrets.RestoreSecretBackupAsync(blob), 409);
        active.ErrorCode.Should().Be(VaultErrorCode.Conflict);
        (await Secrets.GetSecretAsync("db")).Value.Should().Be("newer");

        await Secrets.StartDeleteSecretAsync("db");
        var deleted = await RefusedAsync(() => Secrets.RestoreSecretBackupAsync(blob), 409);
        deleted.Message.Should().Contain("deleted");
        (await Secrets.GetDeletedSecretAsync("db")).Name.Should().Be("db");
    }

    [Fact]
    public async Task A_blob_restores_into_another_vault_with_the_same_root_and_not_under_another_root()
    {
        await Secrets.SetSecretAsync("db", "value");
        var blob = await Secrets.BackupSecretAsync("db");

        await using (var sameRoot = await TestVaults.OpenAsync(Dir.File("other.db"), Key, Time))
        {
            sameRoot.Properties.VaultId.Should().NotBe(Vault.Properties.VaultId);
            await sameRoot.Secrets.RestoreSecretBackupAsync(blob);
            (await sameRoot.Secrets.GetSecretAsync("db")).Value.Should().Be("value");
        }

        await using var otherRoot = await TestVaults.OpenAsync(Dir.File("stranger.db"), TestVaults.NewKey(), Time);
        var refused = await FluentActions.Awaiting(() => otherRoot.Secrets.RestoreSecretBackupAsync(blob)).Should().ThrowAsync<VaultException>();
        refused.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        refused.Which.Status.Should().Be(400, "a blob from another root is the caller's bad input, not a failed authentication");
        await FluentActions.Awaiting(() => otherRoot.Secrets.GetSecretAsync("db")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task Every_flipped_byte_of_a_blob_is_refused_with_a_typed_error_and_writes_nothing()
    {
        await Secrets.SetSecretAsync("db", "value");
        var blob = await Secrets.BackupSecretAsync("db");
        await Secrets.StartDeleteSecretAsync("db");
        await Secrets.PurgeDeletedSecretAsync("db");

        for (var i = 0; i < blob.Length; i++)
        {
            var flipped = blob.ToArray();
            flipped[i] ^= 0x01;
            var refused = await FluentActions.Awaiting(() => Secrets.RestoreSecretBackupAsync(flipped)).Should().ThrowAsync<VaultException>($"byte {i} was flipped");
            refused.Which.Status.Should().Be(400, "byte {0} was flipped: the blob is the caller's input, not the vault's storage ({1})", i, refused.Which.ErrorCode);
            refused.Which.Should().NotBeOfType<VaultIntegrityException>();
        }

        (await FluentActions.Awaiting(() => Secrets.RestoreSecretBackupAsync(blob[..^1])).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(400);
        (await Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Should().BeEmpty();
        (await Secrets.RestoreSecretBackupAsync(blob)).Name.Should().Be("db", "the untouched blob still restores");
    }

    [Fact]
    public async Task A_blob_of_one_kind_is_refused_by_another_kind_and_garbage_is_a_bad_parameter()
    {
        await Secrets.SetSecretAsync("db", "value");
        var blob = await Secrets.BackupSecretAsync("db");

        (await RefusedAsync(() => Vault.Keys.RestoreKeyBackupAsync(blob))).Message.Should().Contain("secret");
        await RefusedAsync(() => Secrets.RestoreSecretBackupAsync([1, 2, 3]));
        await RefusedAsync(() => Secrets.RestoreSecretBackupAsync(new byte[200]));
    }

    [Fact]
    public async Task Deleted_managed_and_oversized_objects_are_not_backed_up()
    {
        await Secrets.SetSecretAsync("gone", "x");
        await Secrets.StartDeleteSecretAsync("gone");
        await FluentActions.Awaiting(() => Secrets.BackupSecretAsync("gone")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.BackupSecretAsync("never")).Should().ThrowAsync<VaultObjectNotFoundException>();

        await CreateAsync("web", SelfPolicy());
        (await FluentActions.Awaiting(() => Secrets.BackupSecretAsync("web")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403);
        (await FluentActions.Awaiting(() => Vault.Keys.BackupKeyAsync("web")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403);

        for (var i = 0; i <= 500; i++)
        {
            await Secrets.SetSecretAsync("many", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        (await FluentActions.Awaiting(() => Secrets.BackupSecretAsync("many")).Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("500");
    }

    [Fact]
    public async Task A_key_restores_with_its_versions_material_and_rotation_policy()
    {
        var first = await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signer") { CurveName = KeyCurveName.P256 });
        var second = await Vault.Keys.RotateKeyAsync("signer");
        await Vault.Keys.UpdateKeyRotationPolicyAsync("signer", new KeyRotationPolicy
        {
            ExpiresIn = "P90D",
            LifetimeActions = { new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P60D" } },
        });
        var data = Encoding.UTF8.GetBytes("payload");
        byte[] signature;
        using (var client = Vault.Keys.GetCryptographyClient("signer", first.Properties.Version))
        {
            signature = (await client.SignDataAsync(SignatureAlgorithm.ES256, data)).Signature;
        }

        var blob = await Vault.Keys.BackupKeyAsync("signer");
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), Key, Time);
        var restored = await other.Keys.RestoreKeyBackupAsync(blob);

        restored.Properties.Version.Should().Be(second.Properties.Version);
        restored.Key.X.Should().Equal(second.Key.X);
        (await other.Keys.GetPropertiesOfKeyVersionsAsync("signer").Select(p => p.Version).ToListAsync())
            .Should().BeEquivalentTo([first.Properties.Version, second.Properties.Version]);
        using (var client = other.Keys.GetCryptographyClient("signer", first.Properties.Version))
        {
            (await client.VerifyDataAsync(SignatureAlgorithm.ES256, data, signature)).IsValid.Should().BeTrue("the old version's private key came along");
            var resigned = (await client.SignDataAsync(SignatureAlgorithm.ES256, data)).Signature;
            using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = first.Key.X, Y = first.Key.Y } });
            ec.VerifyData(data, resigned, HashAlgorithmName.SHA256).Should().BeTrue();
        }

        var policy = await other.Keys.GetKeyRotationPolicyAsync("signer");
        policy.ExpiresIn.Should().Be("P90D");
        policy.LifetimeActions.Select(a => a.ToString()).Should().Equal("Rotate P60D after create");
    }

    [Fact]
    public async Task A_certificate_restores_with_its_versions_policy_managed_key_and_secret()
    {
        var first = await CreateAsync("web", SelfPolicy());
        var second = await CreateAsync("web", SelfPolicy());
        var blob = await Certificates.BackupCertificateAsync("web");
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), Key, Time);

        var restored = await other.Certificates.RestoreCertificateBackupAsync(blob);

        restored.Properties.Version.Should().Be(second.Properties.Version);
        restored.Cer.Should().Equal(second.Cer);
        restored.Policy!.Subject.Should().Be("CN=app.example.com");
        (await other.Certificates.GetCertificateVersionAsync("web", first.Properties.Version!)).Cer.Should().Equal(first.Cer);
        (await other.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(second.Properties.Version);
        (await other.Secrets.GetSecretAsync("web")).Properties.Managed.Should().BeTrue();
        using var downloaded = await other.Certificates.DownloadCertificateAsync("web");
        downloaded.HasPrivateKey.Should().BeTrue();
        using var key = downloaded.GetRSAPrivateKey()!;
        var data = Encoding.UTF8.GetBytes("x");
        using var original = (await Certificates.DownloadCertificateAsync("web")).GetRSAPublicKey()!;
        original.VerifyData(data, key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();

        // The parts are managed by the restored certificate: a direct restore or write of them is refused there too.
        (await FluentActions.Awaiting(() => other.Secrets.SetSecretAsync("web", "x")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403);
        var conflict = await FluentActions.Awaiting(() => other.Certificates.RestoreCertificateBackupAsync(blob)).Should().ThrowAsync<VaultException>();
        conflict.Which.ErrorCode.Should().Be(VaultErrorCode.Conflict);
    }

    [Fact]
    public async Task A_certificate_does_not_restore_over_a_pending_operation_of_its_name()
    {
        await CreateAsync("web", SelfPolicy());
        var blob = await Certificates.BackupCertificateAsync("web");
        await Certificates.StartDeleteCertificateAsync("web");
        await Certificates.PurgeDeletedCertificateAsync("web");
        await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=other.example.com"));

        (await RefusedAsync(() => Certificates.RestoreCertificateBackupAsync(blob), 409)).Message.Should().Contain("Certificate operation");
        var pending = await Certificates.GetCertificateAsync("web");
        pending.Cer.Should().BeEmpty("the name still holds only the pending request, not the backed-up certificate");
        pending.Policy.Subject.Should().Be("CN=other.example.com");
    }

    [Fact]
    public async Task A_pending_certificate_operation_comes_along_and_still_merges_after_the_restore()
    {
        var first = await CreateAsync("web", SelfPolicy());
        var pending = await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=web.example.com"));
        var blob = await Certificates.BackupCertificateAsync("web");
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), Key, Time);

        var restored = await other.Certificates.RestoreCertificateBackupAsync(blob);

        restored.Properties.Version.Should().Be(first.Properties.Version, "the pending version is not current");
        var operation = await other.Certificates.GetCertificateOperationAsync("web");
        operation.Properties.Csr.Should().Equal(pending.Properties.Csr);
        operation.Properties.Status.Should().Be(CertificateOperation.InProgress);
    }
}
