using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>An in-process CA: a certificate of the vault registered as an issuer signs other certificates.</summary>
public sealed class CertificateAuthorityTests : CertificateTestBase
{
    [Fact]
    public async Task A_leaf_issued_by_the_vault_ca_verifies_with_openssl()
    {
        var root = await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });

        var leaf = await CreateAsync("api", IssuedBy("root", "CN=api.example.com"));

        leaf.Chain.Should().ContainSingle().Which.Should().Equal(root.Cer);
        var rootFile = WritePem("root.pem", root.Cer);
        OpenSslOk("verify", "-attime", AtTime, "-CAfile", rootFile, WritePem("leaf.pem", leaf.Cer)).Should().Contain(": OK");

        var rootText = OpenSslOk("x509", "-in", rootFile, "-noout", "-text");
        rootText.Should().Contain("CA:TRUE").And.Contain("Certificate Sign").And.Contain("CRL Sign");
        var leafText = OpenSslOk("x509", "-in", WritePem("leaf-text.pem", leaf.Cer), "-noout", "-text");
        leafText.Should().Contain("Issuer: CN = Example Root CA").And.Contain("CA:FALSE");

        // The leaf's authority key identifier is the CA's subject key identifier.
        using var rootCertificate = Load(root.Cer);
        using var leafCertificate = Load(leaf.Cer);
        var subjectKeyId = rootCertificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();
        leafCertificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single().KeyIdentifier!.Value.ToArray().Should().Equal(subjectKeyId);
    }

    [Fact]
    public async Task An_intermediate_ca_in_the_vault_builds_a_three_level_chain()
    {
        var root = await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        var intermediatePolicy = IssuedBy("root", "CN=Example Issuing CA");
        intermediatePolicy.KeyUsage.Add(CertificateKeyUsage.KeyCertSign);
        intermediatePolicy.KeyUsage.Add(CertificateKeyUsage.CrlSign);
        intermediatePolicy.KeyType = CertificateKeyType.Ec;
        intermediatePolicy.KeyCurveName = CertificateKeyCurveName.P384;
        var intermediate = await CreateAsync("issuing-ca", intermediatePolicy);
        await Certificates.CreateIssuerAsync(new CertificateIssuer("issuing") { CertificateName = "issuing-ca" });

        var leaf = await CreateAsync("api", IssuedBy("issuing", "CN=api.example.com"));

        leaf.Chain.Should().HaveCount(2);
        leaf.Chain[0].Should().Equal(intermediate.Cer);
        leaf.Chain[1].Should().Equal(root.Cer);
        OpenSslOk("verify", "-attime", AtTime, "-CAfile", WritePem("root.pem", root.Cer), "-untrusted", WritePem("chain.pem", leaf.Chain[0]), WritePem("leaf.pem", leaf.Cer))
            .Should().Contain(": OK");

        // The same chain with a stranger's root does not verify: the check can fail.
        var stranger = await CreateAsync("stranger", CaPolicy("CN=Example Root CA"));
        var (exitCode, _) = Support.OpenSsl.Run("verify", "-attime", AtTime, "-CAfile", WritePem("stranger.pem", stranger.Cer), "-untrusted", WritePem("chain2.pem", leaf.Chain[0]), WritePem("leaf2.pem", leaf.Cer));
        exitCode.Should().NotBe(0);
    }

    [Fact]
    public async Task A_leaf_never_outlives_its_ca()
    {
        var caPolicy = CaPolicy();
        caPolicy.ValidityInMonths = 3;
        var root = await CreateAsync("root-ca", caPolicy);
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });

        var leaf = await CreateAsync("api", IssuedBy("root", "CN=api.example.com"));

        leaf.Properties.ExpiresOn.Should().Be(root.Properties.ExpiresOn);
    }

    [Fact]
    public async Task Only_a_ca_certificate_can_back_an_issuer()
    {
        await CreateAsync("plain", SelfPolicy());

        var notCa = await FluentActions.Awaiting(() => Certificates.CreateIssuerAsync(new CertificateIssuer("plain-issuer") { CertificateName = "plain" }))
            .Should().ThrowAsync<VaultException>();
        notCa.Which.Message.Should().Contain("CertificateName").And.Contain("CA");
        var missing = await FluentActions.Awaiting(() => Certificates.CreateIssuerAsync(new CertificateIssuer("ghost") { CertificateName = "does-not-exist" }))
            .Should().ThrowAsync<VaultObjectNotFoundException>();
        var provider = await FluentActions.Awaiting(() => Certificates.CreateIssuerAsync(new CertificateIssuer("digicert", "DigiCert") { CertificateName = "plain" }))
            .Should().ThrowAsync<VaultException>();
        provider.Which.Message.Should().Contain("CertificateName").And.Contain("outside CA");
        var reserved = await FluentActions.Awaiting(() => Certificates.CreateIssuerAsync(new CertificateIssuer("self") { CertificateName = "plain" }))
            .Should().ThrowAsync<VaultException>();
        reserved.Which.Message.Should().Contain("reserved");

        (await Certificates.GetPropertiesOfIssuersAsync().ToListAsync()).Should().BeEmpty();
        var unregistered = await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("api", IssuedBy("plain-issuer", "CN=api")))
            .Should().ThrowAsync<VaultException>();
        unregistered.Which.Message.Should().Contain("IssuerName");
    }

    [Fact]
    public async Task An_outside_cas_issuer_is_recorded_as_azure_records_it_without_its_password_and_issues_nothing()
    {
        var issuer = new CertificateIssuer("digicert", "DigiCert") { AccountId = "account-1", Password = "never-stored-pw", OrganizationId = "org-7" };
        issuer.AdministratorContacts.Add(new AdministratorContact { FirstName = "Ada", LastName = "Admin", Email = "ada@example.com", Phone = "555" });

        var created = await Certificates.CreateIssuerAsync(issuer);

        created.Provider.Should().Be("DigiCert");
        created.AccountId.Should().Be("account-1");
        created.Password.Should().BeNull("the password is never kept");
        created.OrganizationId.Should().Be("org-7");
        created.AdministratorContacts.Should().ContainSingle().Which.Email.Should().Be("ada@example.com");
        var read = await Certificates.GetIssuerAsync("digicert");
        read.AccountId.Should().Be("account-1");
        read.AdministratorContacts.Single().LastName.Should().Be("Admin");
        var disabled = await Certificates.UpdateIssuerAsync(new CertificateIssuer("digicert") { Enabled = false }); // no provider named: the SDKs' update
        disabled.Provider.Should().Be("DigiCert", "an update that names no provider keeps the outside CA's");
        disabled.AccountId.Should().Be("account-1", "an update keeps what it does not name");
        disabled.Enabled.Should().BeFalse();
        (await Certificates.GetPropertiesOfIssuersAsync().ToListAsync()).Should().ContainSingle().Which.Provider.Should().Be("DigiCert");
        await Vault.Certificates.UpdateIssuerAsync(new CertificateIssuer("digicert", "DigiCert") { Enabled = true });

        // The vault never reaches an outside CA: a policy naming the issuer makes the request (key and CSR) and its
        // operation has failed, as Azure's does when its CA refuses; no certificate, key or secret is issued.
        var failed = await Certificates.StartCreateCertificateAsync("api", IssuedBy("digicert", "CN=api"));
        failed.Properties.Status.Should().Be(CertificateOperation.InProgress, "as Azure's create answers: submitted; the failure shows when it is read");
        failed.HasCompleted.Should().BeFalse();
        await failed.UpdateStatusAsync();
        failed.HasCompleted.Should().BeTrue();
        failed.Properties.Status.Should().Be(CertificateOperation.Failed);
        failed.Properties.Error!.Message.Should().Contain("outside this vault").And.Contain("DigiCert");
        failed.Properties.Csr.Should().NotBeNullOrEmpty();
        FluentActions.Invoking(() => failed.Value).Should().Throw<InvalidOperationException>().WithMessage("The certificate operation failed: *");
        (await Certificates.GetCertificateOperationAsync("api")).Properties.Status.Should().Be(CertificateOperation.Failed);
        (await Certificates.GetCertificateAsync("api")).Properties.Enabled.Should().BeFalse("the pending version, as Azure serves it");
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("api")).Should().ThrowAsync<VaultObjectNotFoundException>();
        (await Vault.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Should().BeEmpty();
        var password = "never-stored-pw"u8.ToArray();
        Files.Snapshot(Dir.Path).Values.Where(bytes => Files.Contains(bytes, password)).Should().BeEmpty("the password is in no file");

        (await Certificates.DeleteIssuerAsync("digicert")).Provider.Should().Be("DigiCert");
    }

    [Fact]
    public async Task Issuers_are_created_listed_updated_and_deleted()
    {
        await CreateAsync("root-ca", CaPolicy());
        await CreateAsync("other-ca", CaPolicy("CN=Other CA"));

        var created = await Certificates.CreateIssuerAsync(new CertificateIssuer("Root") { CertificateName = "root-ca" });
        created.Enabled.Should().BeTrue();
        created.CreatedOn.Should().Be(Start);
        (await Certificates.GetIssuerAsync("root")).CertificateName.Should().Be("root-ca");

        var updated = await Certificates.UpdateIssuerAsync(new CertificateIssuer("Root") { CertificateName = "other-ca", Enabled = false });
        updated.CertificateName.Should().Be("other-ca");
        updated.Enabled.Should().BeFalse();
        (await Certificates.GetPropertiesOfIssuersAsync().ToListAsync()).Should().ContainSingle().Which.Name.Should().Be("Root");

        // A disabled issuer signs nothing.
        var disabled = await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("api", IssuedBy("Root", "CN=api"))).Should().ThrowAsync<VaultException>();
        disabled.Which.Status.Should().Be(403);

        (await Certificates.DeleteIssuerAsync("root")).Name.Should().Be("Root");
        await FluentActions.Awaiting(() => Certificates.GetIssuerAsync("root")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Certificates.UpdateIssuerAsync(new CertificateIssuer("root") { Enabled = true })).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task A_disabled_ca_certificate_signs_nothing()
    {
        var root = await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        root.Properties.Enabled = false;
        await Certificates.UpdateCertificatePropertiesAsync(root.Properties);

        var failure = await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("api", IssuedBy("root", "CN=api"))).Should().ThrowAsync<VaultException>();
        failure.Which.Status.Should().Be(403);
        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("api")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public async Task A_ca_whose_key_and_certificate_have_expired_signs_nothing()
    {
        await CreateAsync("root-ca", CaPolicy());
        await Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        (await Vault.Keys.GetKeyAsync("root-ca")).Properties.ExpiresOn.Should().NotBeNull("the managed CA key takes the certificate's validity");

        Time.Advance(TimeSpan.FromDays((61 * 31) + 1));

        var failure = await FluentActions.Awaiting(() => Certificates.StartCreateCertificateAsync("api", IssuedBy("root", "CN=api"))).Should().ThrowAsync<VaultException>();
        failure.Which.Status.Should().BeOneOf(400, 403);
        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("api")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    private static CertificatePolicy IssuedBy(string issuer, string subject) => new(issuer, subject) { ValidityInMonths = 12 };
}
