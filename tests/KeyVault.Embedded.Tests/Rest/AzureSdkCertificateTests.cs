using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure;
using Azure.Security.KeyVault.Certificates;
using KeyVault.Embedded.Access;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// The Azure SDK for .NET's <see cref="CertificateClient"/> (Azure.Security.KeyVault.Certificates 4.10.0) against the
/// REST front: create (self-signed, and by the vault's own CA), import, get, download, versions, policy, delete,
/// recover, backup, restore, issuers and contacts.
/// </summary>
public sealed class AzureSdkCertificateTests : IAsyncLifetime
{
    private RestServer _server = null!;
    private CertificateClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("pki-1", KeyVaultRoles.CertificatesOfficer);
        await _server.AssignAsync("pki-1", KeyVaultRoles.SecretsUser);
        _client = _server.Certificates("pki-1");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_self_signed_certificate_is_created_polled_and_read_with_its_policy()
    {
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=web.example", new SubjectAlternativeNames { DnsNames = { "web.example" } })
        {
            KeyType = CertificateKeyType.Ec,
            KeyCurveName = CertificateKeyCurveName.P256,
            ValidityInMonths = 3,
        };

        CertificateOperation operation = await _client.StartCreateCertificateAsync("web", policy);
        KeyVaultCertificateWithPolicy created = await operation.WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);

        using var cer = X509CertificateLoader.LoadCertificate(created.Cer);
        cer.Subject.Should().Be("CN=web.example");
        cer.GetNameInfo(X509NameType.DnsName, false).Should().Be("web.example");
        created.Policy.KeyType.Should().Be(CertificateKeyType.Ec);
        created.Policy.ValidityInMonths.Should().Be(3);
        created.Properties.X509Thumbprint.Should().Equal(cer.GetCertHash());
        created.KeyId.Should().Be(new Uri(_server.VaultUri, $"keys/web/{created.Properties.Version}"));

        var fetched = (await _client.GetCertificateAsync("web")).Value;
        fetched.Properties.Version.Should().Be(created.Properties.Version);
        var policyRead = (await _client.GetCertificatePolicyAsync("web")).Value;
        policyRead.Subject.Should().Be("CN=web.example");
        policyRead.SubjectAlternativeNames.DnsNames.Should().Equal("web.example");

        // The completed operation stays, as Azure's, until deleted: cancelling it is a 403 (Azure's own live tests take
        // that answer as "completed before it could be cancelled"), deleting it works once,
        // then the SDK's operation reads 404 PendingCertificateNotFound; the certificate stays.
        CertificateOperation completed = await _client.GetCertificateOperationAsync("web");
        completed.Properties.Status.Should().Be("completed");
        (await FluentActions.Awaiting(() => completed.CancelAsync()).Should().ThrowAsync<RequestFailedException>()).Which.Status.Should().Be(403);
        await completed.DeleteAsync();
        var gone = await FluentActions.Awaiting(() => _client.GetCertificateOperationAsync("web")).Should().ThrowAsync<RequestFailedException>();
        gone.Which.Status.Should().Be(404);
        gone.Which.ErrorCode.Should().Be("PendingCertificateNotFound");
        (await _client.GetCertificateAsync("web")).Value.Properties.Version.Should().Be(created.Properties.Version);
    }

    [Fact]
    public async Task A_certificate_issued_by_the_vaults_own_ca_chains_to_it()
    {
        var caPolicy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=SDK Test CA") { KeyType = CertificateKeyType.Ec, ValidityInMonths = 12, KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign } };
        var ca = await (await _client.StartCreateCertificateAsync("sdk-ca", caPolicy)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        CertificateIssuer issuer = await _client.CreateIssuerAsync(new CertificateIssuer("sdk-ca", "VaultCertificate") { AccountId = "sdk-ca" });
        issuer.Provider.Should().Be("VaultCertificate");
        issuer.AccountId.Should().Be("sdk-ca");

        // Issuing signs with the CA's key: the vault asks for that right on the CA's key, as for any signature.
        await _server.AssignAsync("pki-1", KeyVaultRoles.CryptoUser, KeyVaultRoleScope.Key("sdk-ca"));

        var leafPolicy = new CertificatePolicy("sdk-ca", "CN=service.example") { KeyType = CertificateKeyType.Rsa, KeySize = 2048, ValidityInMonths = 2 };
        var leaf = await (await _client.StartCreateCertificateAsync("service", leafPolicy)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);

        using var caCert = X509CertificateLoader.LoadCertificate(ca.Value.Cer);
        using var leafCert = X509CertificateLoader.LoadCertificate(leaf.Value.Cer);
        leafCert.Issuer.Should().Be("CN=SDK Test CA");
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, CustomTrustStore = { caCert } } };
        chain.Build(leafCert).Should().BeTrue(string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        var issuers = new List<string>();
        await foreach (var item in _client.GetPropertiesOfIssuersAsync())
        {
            issuers.Add(item.Name);
        }

        issuers.Should().Contain("sdk-ca");
    }

    [Fact]
    public async Task An_outside_cas_issuer_round_trips_through_the_sdk_as_in_azures_own_issuer_tests()
    {
        var issuer = new CertificateIssuer("outside", "Test") { AccountId = "keyvaultuser", Password = "not-kept", OrganizationId = "org-1" };
        issuer.AdministratorContacts.Add(new AdministratorContact { FirstName = "John", LastName = "Doe", Email = "admin@example.com", Phone = "4255555555" });

        CertificateIssuer created = await _client.CreateIssuerAsync(issuer);
        CertificateIssuer read = await _client.GetIssuerAsync("outside");
        CertificateIssuer updated = await _client.UpdateIssuerAsync(new CertificateIssuer("outside") { Enabled = false });
        CertificateIssuer deleted = await _client.DeleteIssuerAsync("outside");

        created.Provider.Should().Be("Test");
        read.AccountId.Should().Be("keyvaultuser");
        read.Password.Should().BeNull("neither Azure nor this vault returns it");
        read.OrganizationId.Should().Be("org-1");
        read.AdministratorContacts.Should().ContainSingle().Which.Email.Should().Be("admin@example.com");
        updated.Enabled.Should().BeFalse();
        updated.AccountId.Should().Be("keyvaultuser");
        deleted.Name.Should().Be("outside");
    }

    [Fact]
    public async Task An_imported_pfx_downloads_with_its_private_key()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=imported.example", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var original = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var pfx = original.Export(X509ContentType.Pkcs12, "import-pw");

        KeyVaultCertificateWithPolicy imported = await _client.ImportCertificateAsync(new ImportCertificateOptions("imported", pfx) { Password = "import-pw" });
        using X509Certificate2 downloaded = await _client.DownloadCertificateAsync("imported");

        imported.Properties.X509Thumbprint.Should().Equal(original.GetCertHash());
        downloaded.Thumbprint.Should().Be(original.Thumbprint);
        downloaded.HasPrivateKey.Should().BeTrue();
        using var key = downloaded.GetRSAPrivateKey()!;
        var signature = key.SignData("proof"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rsa.VerifyData("proof"u8.ToArray(), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue("the downloaded key is the imported one");
    }

    [Fact]
    public async Task Versions_delete_recover_backup_and_restore_work_through_the_sdk()
    {
        var first = await (await _client.StartCreateCertificateAsync("rolling", CertificatePolicy.Default)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        var second = await (await _client.StartCreateCertificateAsync("rolling", CertificatePolicy.Default)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        var versions = new List<string>();
        await foreach (var version in _client.GetPropertiesOfCertificateVersionsAsync("rolling"))
        {
            versions.Add(version.Version);
        }

        versions.Should().BeEquivalentTo([first.Value.Properties.Version, second.Value.Properties.Version]);
        (await _client.GetCertificateVersionAsync("rolling", first.Value.Properties.Version)).Value.Properties.Version.Should().Be(first.Value.Properties.Version);

        byte[] backup = await _client.BackupCertificateAsync("rolling");
        DeleteCertificateOperation deleting = await _client.StartDeleteCertificateAsync("rolling");
        DeletedCertificate deleted = await deleting.WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        deleted.RecoveryId.Should().Be(new Uri(_server.VaultUri, "deletedcertificates/rolling"));
        (await FluentActions.Awaiting(() => _client.GetCertificateAsync("rolling")).Should().ThrowAsync<RequestFailedException>()).Which.Status.Should().Be(404);

        RecoverDeletedCertificateOperation recovering = await _client.StartRecoverDeletedCertificateAsync("rolling");
        await recovering.WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        (await _client.GetCertificateAsync("rolling")).Value.Properties.Version.Should().Be(second.Value.Properties.Version);

        await (await _client.StartDeleteCertificateAsync("rolling")).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        await _client.PurgeDeletedCertificateAsync("rolling");
        KeyVaultCertificateWithPolicy restored = await _client.RestoreCertificateBackupAsync(backup);
        restored.Properties.Version.Should().Be(second.Value.Properties.Version);
    }

    [Fact]
    public async Task Contacts_and_property_updates_round_trip()
    {
        var contacts = await _client.SetContactsAsync([new CertificateContact { Email = "pki@example.com", Name = "PKI team", Phone = "555-0100" }]);
        contacts.Value.Should().ContainSingle(c => c.Email == "pki@example.com" && c.Name == "PKI team");
        (await _client.GetContactsAsync()).Value.Should().ContainSingle(c => c.Phone == "555-0100");

        var created = await (await _client.StartCreateCertificateAsync("tagged", CertificatePolicy.Default)).WaitForCompletionAsync(TimeSpan.FromMilliseconds(1), default);
        var properties = created.Value.Properties;
        properties.Tags["owner"] = "pki";
        properties.Enabled = false;
        KeyVaultCertificate updated = await _client.UpdateCertificatePropertiesAsync(properties);
        updated.Properties.Tags.Should().Contain("owner", "pki");
        updated.Properties.Enabled.Should().BeFalse();

        await _client.DeleteContactsAsync();
        var none = await FluentActions.Awaiting(() => _client.GetContactsAsync()).Should().ThrowAsync<RequestFailedException>("as Azure, a vault without contacts answers 404");
        none.Which.Status.Should().Be(404);
        none.Which.ErrorCode.Should().Be("ContactsNotFound");
    }
}
