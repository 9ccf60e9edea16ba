using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure;
using Azure.Security.KeyVault.Certificates;
using Azure.Security.KeyVault.Secrets;
using KeyVault.Embedded.Access;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// What the Azure SDKs' own live tests (Azure.Security.KeyVault.Certificates' CertificateClientLiveTests,
/// Azure.Security.KeyVault.Secrets' SecretClientLiveTests, the JavaScript SDK's public specs) assert of the service,
/// through the .NET SDK against the REST front, where a port of those tests found the front answering otherwise.
/// </summary>
public sealed class AzureSdkLiveTestParityTests : IAsyncLifetime
{
    private RestServer _server = null!;
    private CertificateClient _certificates = null!;
    private SecretClient _secrets = null!;

    public async Task InitializeAsync()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app", KeyVaultRoles.CertificatesOfficer);
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        _certificates = _server.Certificates("app");
        _secrets = _server.Secrets("app");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_versions_of_a_name_that_does_not_exist_are_an_empty_list()
    {
        (await _secrets.GetPropertiesOfSecretVersionsAsync("never-set").ToListAsync()).Should().BeEmpty();
        (await _certificates.GetPropertiesOfCertificateVersionsAsync("never-made").ToListAsync()).Should().BeEmpty();

        await _secrets.SetSecretAsync("gone", "v");
        await (await _secrets.StartDeleteSecretAsync("gone")).WaitForCompletionAsync();
        (await _secrets.GetPropertiesOfSecretVersionsAsync("gone").ToListAsync()).Should().BeEmpty("a deleted secret has no active versions");
    }

    [Fact]
    public async Task Bytes_that_are_no_backup_are_refused_in_azures_words()
    {
        var refused = await FluentActions.Awaiting(() => _secrets.RestoreSecretBackupAsync(new byte[4728])).Should().ThrowAsync<RequestFailedException>();
        refused.Which.Status.Should().Be(400);
        refused.Which.Message.Should().Contain("Backup blob contains invalid or corrupt version.");
    }

    [Fact]
    public async Task A_policys_certificate_transparency_and_type_are_kept_and_returned()
    {
        var policy = new Azure.Security.KeyVault.Certificates.CertificatePolicy(WellKnownIssuerNames.Self, "CN=ct.example") { CertificateTransparency = false, CertificateType = "OV-SSL" };
        await (await _certificates.StartCreateCertificateAsync("ct", policy)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);

        var read = (await _certificates.GetCertificatePolicyAsync("ct")).Value;
        read.CertificateTransparency.Should().BeFalse();
        read.CertificateType.Should().Be("OV-SSL");

        read.CertificateTransparency = true;
        var updated = (await _certificates.UpdateCertificatePolicyAsync("ct", read)).Value;
        updated.CertificateTransparency.Should().BeTrue("as Azure's VerifyUpdateCertificatePolicy expects");
        updated.CertificateType.Should().Be("OV-SSL");
        (await _certificates.GetCertificatePolicyAsync("ct")).Value.CertificateTransparency.Should().BeTrue();
    }

    [Fact]
    public async Task An_import_with_a_policy_takes_the_certificates_own_names_and_a_policy_with_none_is_enough()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Azure SDK", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddEmailAddress("azuresdk@example.com");
        request.CertificateExtensions.Add(names.Build());
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        var pem = Encoding.ASCII.GetBytes(made.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());

        // As Azure's VerifyImportCertificatePem: the given policy's subject and content type, the certificate's names.
        var withPolicy = new Azure.Security.KeyVault.Certificates.CertificatePolicy(WellKnownIssuerNames.Self, "CN=Azure SDK") { ContentType = Azure.Security.KeyVault.Certificates.CertificateContentType.Pem };
        var imported = (await _certificates.ImportCertificateAsync(new Azure.Security.KeyVault.Certificates.ImportCertificateOptions("pem", pem) { Policy = withPolicy })).Value;
        imported.Policy.Subject.Should().Be("CN=Azure SDK");
        imported.Policy.SubjectAlternativeNames.Emails.Should().Equal("azuresdk@example.com");
        imported.Policy.ContentType.Should().Be(Azure.Security.KeyVault.Certificates.CertificateContentType.Pem);
        imported.Policy.IssuerName.Should().Be(WellKnownIssuerNames.Self);

        // As VerifyImportCertificatePemWithoutIssuer: a policy giving only the content type.
        var contentOnly = new Azure.Security.KeyVault.Certificates.CertificatePolicy { ContentType = Azure.Security.KeyVault.Certificates.CertificateContentType.Pem };
        var bare = (await _certificates.ImportCertificateAsync(new Azure.Security.KeyVault.Certificates.ImportCertificateOptions("pem-bare", pem) { Policy = contentOnly })).Value;
        bare.Policy.Subject.Should().Be("CN=Azure SDK");
        bare.Policy.SubjectAlternativeNames.Emails.Should().Equal("azuresdk@example.com");
    }

    [Fact]
    public async Task A_certificate_for_an_outside_cas_issuer_is_a_failed_operation_whose_csr_still_merges()
    {
        await _certificates.CreateIssuerAsync(new Azure.Security.KeyVault.Certificates.CertificateIssuer("digicert", "DigiCert") { AccountId = "test", Password = "test", OrganizationId = "test" });
        var policy = new Azure.Security.KeyVault.Certificates.CertificatePolicy("digicert", "CN=outside.example");

        // As Azure's VerifyCertificateOperationError: 202, then the operation has failed, with its error.
        var operation = await _certificates.StartCreateCertificateAsync("outside", policy);
        operation.HasCompleted.Should().BeFalse("the create answers with the request submitted, as Azure's (the JavaScript SDK's begin then returns)");
        await operation.UpdateStatusAsync();
        operation.HasCompleted.Should().BeTrue();
        operation.Properties.Status.Should().Be("failed");
        operation.Properties.Error.Should().NotBeNull();
        operation.Properties.Error.Message.Should().Contain("DigiCert");
        FluentActions.Invoking(() => operation.Value).Should().Throw<InvalidOperationException>().WithMessage("The certificate operation failed: *");
        operation.GetRawResponse().Status.Should().Be(200);

        // The request (key and CSR) stands: signed out of band, as a PEM file's body with its END line but not its
        // BEGIN line (what Azure's JavaScript README and merge test send), it merges.
        var csr = CertificateRequest.LoadSigningRequest(operation.Properties.Csr, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Outside CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var signed = csr.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
        var base64Text = Encoding.ASCII.GetBytes(Convert.ToBase64String(signed.RawData) + "-----END CERTIFICATE-----");
        var merged = (await _certificates.MergeCertificateAsync(new MergeCertificateOptions("outside", [base64Text]))).Value;
        merged.Cer.Should().Equal(signed.RawData);
        merged.Policy.IssuerName.Should().Be("digicert");

        // A deleted issuer is 404 with Azure's words.
        await _certificates.DeleteIssuerAsync("digicert");
        var gone = await FluentActions.Awaiting(() => _certificates.GetIssuerAsync("digicert")).Should().ThrowAsync<RequestFailedException>();
        gone.Which.Status.Should().Be(404);
        gone.Which.Message.Should().Contain("Issuer not found");
    }

    [Fact]
    public async Task A_pending_only_certificate_deletes_and_purges_through_the_sdk()
    {
        await _certificates.StartCreateCertificateAsync("waiting", new Azure.Security.KeyVault.Certificates.CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=waiting.example"));

        // The SDK's delete operation polls GET /deletedcertificates/{name} until it is there.
        var deleting = await _certificates.StartDeleteCertificateAsync("waiting");
        var deleted = (await deleting.WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default)).Value;
        deleted.Name.Should().Be("waiting");
        deleted.RecoveryId.Should().NotBeNull();

        var listed = new List<string>();
        await foreach (var item in _certificates.GetDeletedCertificatesAsync(includePending: true))
        {
            listed.Add(item.Name);
        }

        listed.Should().Equal("waiting");
        await _certificates.PurgeDeletedCertificateAsync("waiting");
        (await FluentActions.Awaiting(() => _certificates.GetDeletedCertificateAsync("waiting")).Should().ThrowAsync<RequestFailedException>()).Which.Status.Should().Be(404);
    }

    [Fact]
    public async Task A_certificate_for_azures_test_provider_waits_in_progress_as_the_javascript_issuer_sample_expects()
    {
        await _certificates.CreateIssuerAsync(new Azure.Security.KeyVault.Certificates.CertificateIssuer("test-ca", "Test") { AccountId = "keyvaultuser" });

        var operation = await _certificates.StartCreateCertificateAsync("for-test", new Azure.Security.KeyVault.Certificates.CertificatePolicy("test-ca", "CN=for-test.example"));
        await operation.UpdateStatusAsync();
        operation.HasCompleted.Should().BeFalse();
        operation.Properties.Status.Should().Be("inProgress");
        operation.Properties.Error.Should().BeNull();
        (await _certificates.GetCertificateAsync("for-test")).Value.Policy.IssuerName.Should().Be("test-ca", "the pending version is served with its policy");
    }
}
