using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>Issuer Unknown: a pending operation with a CSR, signed by an outside CA (OpenSSL) and merged.</summary>
public sealed class CertificateOperationTests : CertificateTestBase
{
    [Fact]
    public async Task A_pending_operation_holds_a_csr_that_openssl_verifies()
    {
        var operation = await StartPendingAsync("ext", "EC");

        operation.HasCompleted.Should().BeFalse();
        operation.Properties.Status.Should().Be(CertificateOperation.InProgress);
        operation.Properties.IssuerName.Should().Be("Unknown");
        operation.HasValue.Should().BeFalse();

        var csr = WriteCsr("ext.csr", operation.Properties.Csr!);
        OpenSslOk("req", "-in", csr, "-noout", "-verify").Should().Contain("verify OK");
        var text = OpenSslOk("req", "-in", csr, "-noout", "-text");
        text.Should().Contain("Subject: CN = ext.example.com");
        text.Should().Contain("DNS:ext.example.com");
        text.Should().Contain("TLS Web Server Authentication");

        (await Certificates.GetCertificateOperationAsync("ext")).Properties.Csr.Should().Equal(operation.Properties.Csr);
    }

    [Fact]
    public async Task A_certificate_signed_by_openssl_merges_and_becomes_current()
    {
        var operation = await StartPendingAsync("ext", "RSA");

        // While pending, the certificate is that version, as Azure serves it (its SDKs read it so): disabled, with its
        // policy, without its DER; the one version listed; readable by its version.
        var pending = await Certificates.GetCertificateAsync("ext");
        var pendingVersion = pending.Properties.Version;
        pendingVersion.Should().NotBeNullOrEmpty();
        pending.Properties.Enabled.Should().BeFalse();
        pending.Cer.Should().BeEmpty();
        pending.Policy.IssuerName.Should().Be("Unknown");
        (await Certificates.GetCertificatePolicyAsync("ext")).Subject.Should().Be("CN=ext.example.com");
        (await Certificates.GetPropertiesOfCertificateVersionsAsync("ext").ToListAsync()).Select(p => p.Version).Should().Equal(pendingVersion);
        (await Certificates.GetCertificateVersionAsync("ext", pendingVersion!)).Properties.Enabled.Should().BeFalse();
        var (caCert, caKey) = OutsideCa();
        var signed = Dir.File("signed.pem");
        OpenSslOk("x509", "-req", "-in", WriteCsr("ext.csr", operation.Properties.Csr!), "-CA", caCert, "-CAkey", caKey, "-CAcreateserial",
            "-days", "90", "-copy_extensions", "copyall", "-out", signed);

        var merged = await Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed), File.ReadAllBytes(caCert)]));

        using var leaf = Load(merged.Cer);
        leaf.Issuer.Should().Be("CN=Outside CA");
        leaf.Subject.Should().Be("CN=ext.example.com");
        merged.Chain.Should().ContainSingle();
        merged.Policy.IssuerName.Should().Be("Unknown");
        (await Certificates.GetCertificateAsync("ext")).Properties.Version.Should().Be(merged.Properties.Version);
        merged.Properties.Version.Should().Be(pendingVersion, "the version served while pending is the one the merge made");

        // The operation is gone; asking for it reports the completed certificate.
        var completed = await Certificates.GetCertificateOperationAsync("ext");
        completed.HasCompleted.Should().BeTrue();
        completed.Value!.Properties.Version.Should().Be(merged.Properties.Version);

        // The merged certificate's key is the pending key, and it is the managed key now.
        using var downloaded = await Certificates.DownloadCertificateAsync("ext");
        downloaded.HasPrivateKey.Should().BeTrue();
        var pfx = Dir.File("ext.pfx");
        File.WriteAllBytes(pfx, Convert.FromBase64String((await Vault.Secrets.GetSecretAsync("ext")).Value));
        OpenSslOk("pkcs12", "-in", pfx, "-passin", "pass:", "-nokeys", "-noout");
        var chainFile = Dir.File("chain.pem");
        File.WriteAllText(chainFile, PemEncode("CERTIFICATE", merged.Cer));
        OpenSslOk("verify", "-CAfile", caCert, chainFile).Should().Contain("OK");
        (await Vault.Keys.GetKeyAsync("ext")).Properties.Version.Should().Be(merged.Properties.Version);
    }

    [Fact]
    public async Task The_current_version_does_not_change_while_an_operation_is_pending()
    {
        var first = await CreateAsync("web", SelfPolicy());
        var pending = await Certificates.StartCreateCertificateAsync("web", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=web.example.com"));
        pending.Properties.Status.Should().Be(CertificateOperation.InProgress);

        (await Certificates.GetCertificateAsync("web")).Properties.Version.Should().Be(first.Properties.Version);
        (await Vault.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(first.Properties.Version);
        (await Certificates.GetPropertiesOfCertificateVersionsAsync("web").ToListAsync()).Should().ContainSingle();

        // One operation at a time.
        var conflict = await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("web", SelfPolicy())).Should().ThrowAsync<VaultException>();
        conflict.Which.Status.Should().Be(409);
        (await Certificates.GetCertificateAsync("web")).Properties.Version.Should().Be(first.Properties.Version);
    }

    [Fact]
    public async Task A_certificate_for_another_key_does_not_merge_and_changes_nothing()
    {
        var operation = await StartPendingAsync("ext", "RSA");
        var other = await CreateAsync("other", SelfPolicy("CN=ext.example.com"));

        var failure = await FluentActions.Awaiting(() => Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [other.Cer])))
            .Should().ThrowAsync<VaultException>();
        failure.Which.Status.Should().Be(400);
        failure.Which.Message.Should().Contain("X509Certificates[0]").And.Contain("public key");

        var garbage = await FluentActions.Awaiting(() => Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [[0x30, 0x03, 0x02, 0x01, 0x01]])))
            .Should().ThrowAsync<VaultException>();
        garbage.Which.Message.Should().Contain("X509Certificates[0]");

        (await Certificates.GetCertificateOperationAsync("ext")).Properties.Csr.Should().Equal(operation.Properties.Csr);
        var stillPending = await Certificates.GetCertificateAsync("ext");
        stillPending.Properties.Enabled.Should().BeFalse("still the pending version, as Azure serves it");
        stillPending.Cer.Should().BeEmpty();
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task A_cancelled_operation_cannot_merge_and_is_deleted_or_replaced()
    {
        var operation = await StartPendingAsync("ext", "EC");
        var (caCert, caKey) = OutsideCa();
        var signed = Dir.File("signed.pem");
        OpenSslOk("x509", "-req", "-in", WriteCsr("ext.csr", operation.Properties.Csr!), "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-days", "30", "-out", signed);

        var cancelled = await Certificates.GetCertificateOperationAsync("ext");
        await cancelled.CancelAsync();
        cancelled.Properties.Status.Should().Be(CertificateOperation.Cancelled);
        cancelled.HasCompleted.Should().BeTrue();
        cancelled.HasValue.Should().BeFalse();
        (await Certificates.GetCertificateOperationAsync("ext")).Properties.CancellationRequested.Should().BeTrue();
        var refused = await FluentActions.Awaiting(() => Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed)])))
            .Should().ThrowAsync<VaultException>();
        refused.Which.Status.Should().Be(409);

        var deleted = await Certificates.GetCertificateOperationAsync("ext");
        await deleted.DeleteAsync();
        deleted.Properties.Status.Should().Be(CertificateOperation.Cancelled);
        await FluentActions.Awaiting(() => Certificates.GetCertificateOperationAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>("with its request deleted, the name holds no certificate");

        // A cancelled operation is replaced by a new create.
        await StartPendingAsync("ext", "EC");
        await (await Certificates.GetCertificateOperationAsync("ext")).CancelAsync();
        var replaced = await Certificates.StartCreateCertificateAsync("ext", SelfPolicy("CN=ext.example.com"));
        replaced.HasCompleted.Should().BeTrue();
        (await Certificates.GetCertificateOperationAsync("ext")).HasCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task A_pending_operation_survives_reopening_and_merges_after()
    {
        var operation = await StartPendingAsync("ext", "RSA");
        await ReopenAsync();

        var (caCert, caKey) = OutsideCa();
        var signed = Dir.File("signed.pem");
        OpenSslOk("x509", "-req", "-in", WriteCsr("ext.csr", operation.Properties.Csr!), "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-days", "30", "-out", signed);
        var merged = await Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed)]) { Tags = { ["source"] = "outside" } });

        merged.Properties.Tags.Should().Contain("source", "outside");
        using var downloaded = await Certificates.DownloadCertificateAsync("ext");
        downloaded.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public async Task Waiting_for_a_pending_operation_polls_until_the_signed_certificate_is_merged()
    {
        var operation = await StartPendingAsync("ext", "EC");
        var (caCert, caKey) = OutsideCa();
        var signed = Dir.File("signed.pem");
        OpenSslOk("x509", "-req", "-in", WriteCsr("ext.csr", operation.Properties.Csr!), "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-days", "30", "-out", signed);

        var waiting = operation.WaitForCompletionAsync(TimeSpan.FromSeconds(5), CancellationToken.None).AsTask();
        waiting.IsCompleted.Should().BeFalse("nothing is merged yet");
        Time.Advance(TimeSpan.FromSeconds(5));
        waiting.IsCompleted.Should().BeFalse("a poll found it still in progress");

        var merged = await Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed)]));

        // Each advance of the fake clock lets one poll run (its continuation may still be finishing the last poll on
        // another thread, so a few rounds, yielding between them; no real time is waited for).
        for (var round = 0; round < 200 && !waiting.IsCompleted; round++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Yield();
        }

        var value = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        value.Properties.Version.Should().Be(merged.Properties.Version);
        operation.HasCompleted.Should().BeTrue();
        operation.Properties.Status.Should().Be(CertificateOperation.Completed);
        operation.Value.Cer.Should().Equal(merged.Cer);
    }

    [Fact]
    public async Task A_cancelled_operation_completes_without_a_value_and_waiting_on_it_says_so()
    {
        var operation = await StartPendingAsync("ext", "EC");
        var other = await Certificates.GetCertificateOperationAsync("ext");

        other.Cancel();
        var act = async () => await operation.WaitForCompletionAsync();

        await act.Should().ThrowAsync<OperationCanceledException>();
        operation.HasCompleted.Should().BeTrue();
        operation.HasValue.Should().BeFalse();

        other.Delete();
        var deleted = await Certificates.StartCreateCertificateAsync("gone", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=gone.example.com"));
        await (await Certificates.GetCertificateOperationAsync("gone")).DeleteAsync();
        await deleted.UpdateStatusAsync();
        deleted.HasCompleted.Should().BeTrue("a deleted operation has ended");
        deleted.HasValue.Should().BeFalse();
    }

    [Fact]
    public async Task An_operation_whose_request_was_deleted_does_not_report_the_older_certificate_as_its_result()
    {
        var existing = await CreateAsync("ext", SelfPolicy("CN=ext.example.com"));
        var renewal = await StartPendingAsync("ext", "EC");

        await (await Certificates.GetCertificateOperationAsync("ext")).DeleteAsync();
        await renewal.UpdateStatusAsync();

        renewal.HasCompleted.Should().BeTrue("its request is gone");
        renewal.HasValue.Should().BeFalse("the current certificate is the older version, not this operation's");
        FluentActions.Invoking(() => renewal.Value).Should().Throw<InvalidOperationException>().WithMessage("*deleted*");
        (await Certificates.GetCertificateAsync("ext")).Properties.Version.Should().Be(existing.Properties.Version);
    }

    [Fact]
    public async Task A_completed_operation_stays_until_deleted_cannot_be_cancelled_and_an_import_has_none()
    {
        // As Azure's pending object: after it completes it is served (status completed) until deleted.
        var issued = await CreateAsync("done", SelfPolicy("CN=done.example.com"));
        var completed = await Certificates.GetCertificateOperationAsync("done");
        completed.Properties.Status.Should().Be(CertificateOperation.Completed);

        // Only an operation in progress can be cancelled (Azure: 403), and the refusal changes nothing.
        var refused = await FluentActions.Awaiting(() => completed.CancelAsync()).Should().ThrowAsync<VaultException>();
        refused.Which.Status.Should().Be(403);
        refused.Which.Message.Should().Contain("not in progress");
        (await Certificates.GetCertificateOperationAsync("done")).Properties.Status.Should().Be(CertificateOperation.Completed);

        // Deleting it returns it; then it is PendingCertificateNotFound, and the certificate it issued stays.
        var deleting = await Certificates.GetCertificateOperationAsync("done");
        await deleting.DeleteAsync();
        deleting.Properties.Status.Should().Be(CertificateOperation.Completed);
        var gone = await FluentActions.Awaiting(() => Certificates.GetCertificateOperationAsync("done")).Should().ThrowAsync<VaultObjectNotFoundException>();
        gone.Which.ErrorCode.ToString().Should().Be("PendingCertificateNotFound");
        (await FluentActions.Awaiting(() => deleting.DeleteAsync()).Should().ThrowAsync<VaultObjectNotFoundException>()).Which.Status.Should().Be(404);
        var kept = await Certificates.GetCertificateAsync("done");
        kept.Properties.Version.Should().Be(issued.Properties.Version);
        kept.Cer.Should().Equal(issued.Cer);
        using (await Certificates.DownloadCertificateAsync("done"))
        {
        }

        // A new create makes a new operation, which is served again once it completes.
        var renewed = await Certificates.StartCreateCertificateAsync("done", SelfPolicy("CN=done.example.com"));
        renewed.HasCompleted.Should().BeTrue();
        (await Certificates.GetCertificateOperationAsync("done")).Value!.Properties.Version.Should().Be(renewed.Value.Properties.Version);

        // An imported certificate was made by no operation.
        var pfx = (await Vault.Secrets.GetSecretAsync("done")).Value;
        await Certificates.ImportCertificateAsync(new ImportCertificateOptions("imported", Convert.FromBase64String(pfx)));
        (await FluentActions.Awaiting(() => Certificates.GetCertificateOperationAsync("imported")).Should().ThrowAsync<VaultObjectNotFoundException>())
            .Which.ErrorCode.ToString().Should().Be("PendingCertificateNotFound");

        // A name with no certificate at all has no operation either.
        (await FluentActions.Awaiting(() => Certificates.GetCertificateOperationAsync("none")).Should().ThrowAsync<VaultObjectNotFoundException>())
            .Which.ErrorCode.ToString().Should().Be("PendingCertificateNotFound");
    }

    [Fact]
    public async Task A_pending_only_certificate_is_soft_deleted_listed_recovered_and_purged_as_azure_does()
    {
        var operation = await StartPendingAsync("ext", "EC");
        var pendingVersion = (await Certificates.GetCertificateAsync("ext")).Properties.Version;

        var deleted = (await Certificates.StartDeleteCertificateAsync("ext")).Value;
        deleted.Name.Should().Be("ext");
        deleted.Properties.Version.Should().Be(pendingVersion);
        deleted.RecoveryId.Should().NotBeNull();
        deleted.ScheduledPurgeDate.Should().BeAfter(deleted.DeletedOn!.Value);

        // Deleted: not served, its operation neither; listed among the deleted only with includePending.
        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Certificates.GetCertificateOperationAsync("ext")).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Certificates.GetPropertiesOfCertificatesAsync(includePending: true).ToListAsync()).Should().BeEmpty();
        (await Certificates.GetDeletedCertificateAsync("ext")).Properties.Version.Should().Be(pendingVersion);
        (await Certificates.GetDeletedCertificatesAsync().ToListAsync()).Should().BeEmpty();
        (await Certificates.GetDeletedCertificatesAsync(includePending: true).ToListAsync()).Should().ContainSingle().Which.Name.Should().Be("ext");

        // It holds its name as any deleted certificate: no new create, no merge, no delete of its operation.
        (await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("ext", SelfPolicy("CN=ext.example.com"))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.ObjectIsDeletedButRecoverable);
        var (caCert, caKey) = OutsideCa();
        var signed = Dir.File("signed.pem");
        OpenSslOk("x509", "-req", "-in", WriteCsr("ext.csr", operation.Properties.Csr!), "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-days", "30", "-out", signed);
        await FluentActions.Awaiting(() => Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed)]))).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => operation.DeleteAsync()).Should().ThrowAsync<VaultObjectNotFoundException>();

        // Recovered: pending again, and it merges.
        var recovered = (await Certificates.StartRecoverDeletedCertificateAsync("ext")).Value;
        recovered.Properties.Version.Should().Be(pendingVersion);
        (await Certificates.GetCertificateOperationAsync("ext")).Properties.Status.Should().Be(CertificateOperation.InProgress);
        var merged = await Certificates.MergeCertificateAsync(new MergeCertificateOptions("ext", [File.ReadAllBytes(signed)]));
        merged.Properties.Version.Should().Be(pendingVersion);

        // A second pending-only certificate, deleted and purged: gone, its name free again.
        await StartPendingAsync("other", "RSA");
        await Certificates.StartDeleteCertificateAsync("other");
        await Certificates.PurgeDeletedCertificateAsync("other");
        await FluentActions.Awaiting(() => Certificates.GetDeletedCertificateAsync("other")).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Certificates.StartCreateCertificateAsync("other", SelfPolicy("CN=other.example.com"))).HasCompleted.Should().BeTrue();
    }

    private async Task<CertificateOperation> StartPendingAsync(string name, string keyType)
    {
        var policy = new CertificatePolicy(WellKnownIssuerNames.Unknown, $"CN={name}.example.com", new SubjectAlternativeNames { DnsNames = { $"{name}.example.com" } })
        {
            KeyType = new CertificateKeyType(keyType),
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
        };
        return await Certificates.StartCreateCertificateAsync(name, policy);
    }

    private string WriteCsr(string fileName, byte[] der)
    {
        var path = Dir.File(fileName);
        File.WriteAllText(path, PemEncode("CERTIFICATE REQUEST", der));
        return path;
    }

    private (string Certificate, string Key) OutsideCa()
    {
        var certificate = Dir.File("outside-ca.pem");
        var key = Dir.File("outside-ca.key");
        OpenSslOk("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-subj", "/CN=Outside CA", "-days", "3650");
        return (certificate, key);
    }
}
