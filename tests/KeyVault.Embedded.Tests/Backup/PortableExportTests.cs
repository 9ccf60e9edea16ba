using KeyVault.Embedded.Backup;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Lifecycle;
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
        var deleted = (await Secrets.StartDeleteSecretAsync("old")).Value;
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
        ((await other.Secrets.StartRecoverDeletedSecretAsync("old")).Value).Name.Should().Be("old");
        (await other.Keys.GetKeyAsync("ec")).Key.X.Should().Equal(key.Key.X);
        (await other.Keys.GetKeyRotationPolicyAsync("ec")).ExpiresIn.Should().Be("P30D");
        (await other.Certificates.GetCertificateAsync("web")).Cer.Should().Equal(cert.Cer);
        (await other.Certificates.GetCertificateOperationAsync("web")).Properties.Csr.Should().Equal(pending.Properties.Csr);
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
        await Secrets.StartDeleteSecretAsync("gone");
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
    public async Task A_pending_certificate_does_not_import_over_a_plain_secret_of_its_name()
    {
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var export = new MemoryStream();
        await using (var source = await TestVaults.OpenAsync(Dir.File("source.db"), TestVaults.NewKey(), Time))
        {
            await source.Certificates.StartCreateCertificateAsync("ext", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=ext.example.com"));
            await source.ExportAsync(export, exportKey);
        }

        await Secrets.SetSecretAsync("ext", "plain application secret");
        export.Position = 0;
        (await RefusedAsync(() => Vault.ImportAsync(export, exportKey), 409)).ErrorCode.Should().Be(VaultErrorCode.Conflict);
        (await Secrets.GetSecretAsync("ext")).Properties.Managed.Should().BeFalse();
    }

    [Fact]
    public async Task An_export_cannot_make_the_importer_spend_more_Argon2id_cost_than_its_key_allows()
    {
        await Secrets.SetSecretAsync("a", "1");
        using var export = new MemoryStream();
        using (var costly = SoftwareRootKey.FromPassphrase("pass".AsSpan(), memoryKiB: 128 * 1024))
        {
            await Vault.ExportAsync(export, costly);
        }

        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);
        export.Position = 0;
        using (var cheap = SoftwareRootKey.FromPassphrase("pass".AsSpan()))
        {
            (await FluentActions.Awaiting(() => other.ImportAsync(export, cheap)).Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("Argon2id cost");
        }

        export.Position = 0;
        using var enough = SoftwareRootKey.FromPassphrase("pass".AsSpan(), memoryKiB: 128 * 1024);
        (await other.ImportAsync(export, enough)).Objects.Should().Be(1);
    }

    [Fact]
    public async Task A_crafted_export_with_a_signed_Argon2id_cost_or_a_lone_managed_part_is_refused()
    {
        await CreateAsync("web", SelfPolicy());
        using var passphrase = SoftwareRootKey.FromPassphrase("pass".AsSpan());
        using var export = new MemoryStream();
        await Vault.ExportAsync(export, passphrase, new VaultExportOptions { CertificateNames = ["web"] });
        var bytes = export.ToArray();
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);

        // "t" = "3" becomes "+3": what a lenient parse reads as a number, so it could slip past the cost cap.
        var (header, _) = ExportRewriter.Header(bytes);
        var at = header.AsSpan().IndexOf("\u0001t\u0000\u00013"u8);
        at.Should().BeGreaterThan(0);
        byte[] signed = [.. bytes[..(at + 2)], 0, 2, (byte)'+', (byte)'3', .. bytes[(at + 5)..]];
        (await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(signed), passphrase)).Should().ThrowAsync<VaultException>())
            .Which.Message.Should().Contain("Argon2id cost");

        // The certificate left out, its managed key and secret kept; then the key left out.
        foreach (var dropped in new[] { ObjectType.Certificate, ObjectType.Key })
        {
            var crafted = await ExportRewriter.RewriteAsync(bytes, passphrase, plaintext =>
                ObjectBundle.Encode([.. ObjectBundle.Decode(plaintext).Where(o => o.Record.Type != dropped)]));
            (await FluentActions.Awaiting(() => other.ImportAsync(new MemoryStream(crafted), passphrase)).Should().ThrowAsync<VaultIntegrityException>())
                .Which.Message.Should().Contain("certificate");
        }

        (await other.Secrets.GetPropertiesOfSecretsAsync().CountAsync()).Should().Be(0);
        (await other.ImportAsync(new MemoryStream(bytes), passphrase)).Objects.Should().Be(3, "the untouched export imports");
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

        await other.Secrets.StartDeleteSecretAsync("b");
        await other.Secrets.PurgeDeletedSecretAsync("b");
        (await other.ImportAsync(new MemoryStream(bytes), exportKey)).Objects.Should().Be(2, "the untouched export imports once the name is free");
    }
}
