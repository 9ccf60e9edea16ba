using KeyVault.Embedded.Backup;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>
/// A certificate whose only version is pending (active or soft-deleted) and its name: it holds it against a plain key
/// or secret, an export without deleted objects leaves a deleted one out, a whole-vault export round-trips beside a
/// plain key made before the guard, purge protection holds it, and refused calls on it change nothing (found by an
/// attack review of the pending-only soft delete).
/// </summary>
public sealed class PendingCertificateNameTests : CertificateTestBase
{
    private Task<CertificateOperation> StartPendingAsync(string name) =>
        Certificates.StartCreateCertificateAsync(name, new CertificatePolicy(WellKnownIssuerNames.Unknown, $"CN={name}.example.com"));

    [Fact]
    public async Task Export_without_deleted_objects_leaves_out_a_deleted_pending_only_certificate()
    {
        await StartPendingAsync("ext");
        await Certificates.StartDeleteCertificateAsync("ext");
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var active = new MemoryStream();
        (await Vault.ExportAsync(active, exportKey, new VaultExportOptions { IncludeDeleted = false })).Objects
            .Should().Be(0, "the only object is a soft-deleted pending-only certificate, and the caller asked for no deleted objects");
    }

    [Fact]
    public async Task A_deleted_pending_only_certificate_holds_its_name_against_a_plain_key_and_secret()
    {
        await StartPendingAsync("ext");
        await Certificates.StartDeleteCertificateAsync("ext");

        (await FluentActions.Awaiting(() => Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("ext"))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.ObjectIsDeletedButRecoverable);
        (await FluentActions.Awaiting(() => Secrets.SetSecretAsync("ext", "plain")).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.ObjectIsDeletedButRecoverable);
    }

    [Fact]
    public async Task A_pending_only_certificate_holds_its_name_against_a_plain_key_and_secret_and_a_whole_vault_export_round_trips()
    {
        await StartPendingAsync("ext");

        // A plain key or secret of the name would be read again as the certificate's part by a whole-vault export,
        // which then would not import: refused, and nothing written.
        var key = await FluentActions.Awaiting(() => Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("ext"))).Should().ThrowAsync<VaultException>();
        key.Which.Status.Should().Be(409);
        key.Which.Message.Should().Contain("pending operation");
        (await FluentActions.Awaiting(() => Secrets.SetSecretAsync("ext", "plain")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(409);
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>();

        await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("plain"));
        using var exportKey = SoftwareRootKey.FromBytes(TestVaults.NewKey());
        using var whole = new MemoryStream();
        var written = (await Vault.ExportAsync(whole, exportKey)).Objects;
        await using var other = await TestVaults.OpenAsync(Dir.File("other.db"), TestVaults.NewKey(), Time);
        whole.Position = 0;
        (await other.ImportAsync(whole, exportKey)).Objects.Should().Be(written);
        written.Should().Be(2);
        (await other.Certificates.GetCertificateOperationAsync("ext")).Properties.Status.Should().Be(CertificateOperation.InProgress);
    }

    [Fact]
    public async Task Purge_protection_holds_a_deleted_pending_only_certificate_and_its_operation_cannot_be_touched()
    {
        var operation = await StartPendingAsync("ext");
        await Certificates.StartDeleteCertificateAsync("ext");
        await Vault.EnablePurgeProtectionAsync();
        await RefusedAsync(() => Certificates.PurgeDeletedCertificateAsync("ext"), 403);
        await RefusedAsync(() => operation.CancelAsync(), 404);
        await RefusedAsync(() => operation.DeleteAsync(), 404);
        await RefusedAsync(() => Certificates.UpdateCertificatePolicyAsync("ext", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=x")), 404);
        await RefusedAsync(() => Certificates.ImportCertificateAsync(new ImportCertificateOptions("ext", Array.Empty<byte>())), 400);
        await RefusedAsync(() => Certificates.GetCertificateKeyAsync("ext"), 404);
        await RefusedAsync(() => Certificates.BackupCertificateAsync("ext"), 404);
        (await Certificates.GetPropertiesOfCertificateVersionsAsync("ext").ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Cancel_and_delete_of_a_completed_operation_that_is_refused_writes_nothing()
    {
        await CreateAsync("web", SelfPolicy());
        await RefusedAsync(() => Certificates.GetCertificateOperationAsync("web").ContinueWith(t => t.Result.CancelAsync()).Unwrap(), 403);
        var operation = await Certificates.GetCertificateOperationAsync("web");
        await operation.DeleteAsync();
        await RefusedAsync(() => operation.DeleteAsync(), 404);
        await RefusedAsync(() => operation.CancelAsync(), 404);
    }
}
