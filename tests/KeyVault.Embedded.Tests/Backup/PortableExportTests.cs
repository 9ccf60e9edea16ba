using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Certificates;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Backup;

/// <summary>Portable export: objects sealed under a passphrase (Argon2id) or a key of their own, imported into a vault under another root.</summary>
public sealed class PortableExportTests : CertificateTestBase
{
    [Fact]
    public async Task The_whole_vault_moves_to_a_vault_under_another_root_with_a_passphrase()
    {
        var v1 = await Secrets.SetSecretAsync(new KeyVaultSecret("db", "one") { Properties = { ContentType = "text/plain" } });
        await Secrets.SetSecretAsync(new KeyVaultSecret("db", "two") { Properties = { ExpiresOn = Start.AddHours(1), Tags = { ["t"] = "x" } } });
        var disabled = v1.Properties;
        disabled.Enabled = false;
        await Secrets.UpdateSecretPropertiesAsync(disabled);
        await Secrets.SetSecretAsync("old", "gone soon");
        var deleted = await Secrets.DeleteSecretAsync("old");
        var key = await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("ec"));
        await Vault.Keys.UpdateKeyRotationPolicyAsync("ec", new KeyRotationPolicy { ExpiresIn = "P30D" });
        var cert = await CreateAsync("web", SelfPolicy());
        var pending = await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=web.example.com"));
        Time.Advance(TimeSpan.FromHours(2));

        using var export = new MemoryStream();
        using (var passphrase = SoftwareRootKey.FromPassphrase("correct horse battery staple".AsSpan()))
        {
            var written = await Vault.ExportAsync(export, passphrase);
            written.Objects.Should().Be(7, "db, old, ec, and the certificate with its key, secret and pending operation");
            written.Bytes.Should().Be(export.Length);
        }

        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);
        export.Position = 0;
        using (var passphrase = SoftwareRootKey.FromPassphrase("correct horse battery staple".AsSpan()))
        {
            (await other.ImportAsync(export, passphrase)).Objects.Should().Be(7);
        }

        (await other.Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync()).Should().BeEquivalentTo(await Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync(), o => o.Excluding(p => p.Id).Excluding(p => p.VaultUri));
        (await other.Secrets.GetSecretAsync("db")).Value.Should().Be("two");
        var otherDeleted = await other.Secrets.GetDeletedSecretAsync("old");
        otherDeleted.ScheduledPurgeDate.Should().Be(deleted.ScheduledPurgeDate);
        (await other.Secrets.RecoverDeletedSecretAsync("old")).Name.Should().Be("old");
        (await other.Keys.GetKeyAsync("ec")).Key.X.Should().Equal(key.Key.X);
        (await other.Keys.GetKeyRotationPolicyAsync("ec")).ExpiresIn.Should().Be("P30D");
        (await other.Certificates.GetCertificateAsync("web")).Cer.Should().Equal(cert.Cer);
        (await other.Certificates.GetCertificateOperationAsync("web")).Csr.Should().Equal(pending.Csr);
        using var downloaded = await other.Certificates.DownloadCertificateAsync("web");
        downloaded.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public async Task Chosen_objects_only_and_without_deleted_ones()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Secrets.SetSecretAsync("b", "2");
        await CreateAsync("web", SelfPolicy());
        await Secrets.SetSecretAsync("gone", "x");
        await Secrets.DeleteSecretAsync("gone");
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());

        using var chosen = new MemoryStream();
        (await Vault.ExportAsync(chosen, exportKey, new VaultExportOptions { SecretNames = ["a"], CertificateNames = ["web"] })).Objects.Should().Be(4);
        using var active = new MemoryStream();
        (await Vault.ExportAsync(active, exportKey, new VaultExportOptions { IncludeDeleted = false })).Objects.Should().Be(5, "a, b, and web with its key and secret");
        await FluentActions.Awaiting(() => Vault.ExportAsync(new MemoryStream(), exportKey, new VaultExportOptions { SecretNames = ["gone"] })).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await FluentActions.Awaiting(() => Vault.ExportAsync(new MemoryStream(), exportKey, new VaultExportOptions { SecretNames = ["web"] })).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403);

        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);
        chosen.Position = 0;
        await other.ImportAsync(chosen, exportKey);
        (await other.Secrets.GetPropertiesOfSecretsAsync().Select(p => p.Name).ToListAsync()).Should().BeEquivalentTo(["a", "web"]);
        (await other.Certificates.GetCertificateAsync("web")).Name.Should().Be("web");
    }

    [Fact]
    public async Task A_wrong_passphrase_a_taken_name_and_a_damaged_or_short_export_import_nothing()
    {
        await Secrets.SetSecretAsync("a", "1");
        await Secrets.SetSecretAsync("b", "2");
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var export = new MemoryStream();
        await Vault.ExportAsync(export, exportKey);
        var bytes = export.ToArray();
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);

        var wrong = await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(bytes), SoftwareRootKey.FromBytes(TestVaults.NewKey()))).Should().ThrowAsync<VaultException>();
        wrong.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        var kind = await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(bytes), SoftwareRootKey.FromPassphrase("p".AsSpan()))).Should().ThrowAsync<VaultException>();
        kind.Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);

        for (var position = 0; position < bytes.Length; position += position < 120 ? 1 : 7)
        {
            var flipped = bytes.ToArray();
            flipped[position] ^= 0x04;
            await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(flipped), exportKey)).Should().ThrowAsync<VaultException>($"byte {position} was flipped");
        }

        await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(bytes[..^1]), exportKey)).Should().ThrowAsync<VaultIntegrityException>();
        await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream([.. bytes, 1]), exportKey)).Should().ThrowAsync<VaultIntegrityException>();
        (await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream("not an export"u8.ToArray()), exportKey)).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);

        await other.Secrets.SetSecretAsync("b", "taken");
        var conflict = await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(bytes), exportKey)).Should().ThrowAsync<VaultException>();
        conflict.Which.ErrorCode.Should().Be(VaultErrorCode.Conflict);
        (await other.Secrets.GetPropertiesOfSecretsAsync().Select(p => p.Name).ToListAsync()).Should().Equal(["b"], "an import is all or nothing");

        await other.Secrets.DeleteSecretAsync("b");
        await other.Secrets.PurgeDeletedSecretAsync("b");
        (await other.ImportAsync(new MemoryStream(bytes), exportKey)).Objects.Should().Be(2, "the untouched export imports once the name is free");
    }
}
