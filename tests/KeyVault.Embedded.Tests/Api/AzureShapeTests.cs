using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Certificates;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>
/// The Azure SDK's shapes, by behaviour: long-running operations that have completed, deleted models that are the
/// models they were, synchronous counterparts, identifiers, extensible enumerations, PEM output of a certificate's
/// secret, URI subject alternative names and the listing options.
/// </summary>
public sealed class AzureShapeTests : CertificateTestBase
{
    [Fact]
    public async Task Delete_and_recover_return_operations_that_have_completed_with_their_values()
    {
        var set = await Secrets.SetSecretAsync("db", "p@ss");

        var delete = await Secrets.StartDeleteSecretAsync("db");
        delete.HasCompleted.Should().BeTrue();
        delete.HasValue.Should().BeTrue();
        delete.Id.Should().Be(set.Id!.ToString());
        (await delete.WaitForCompletionAsync()).Should().BeSameAs(delete.Value);
        KeyVaultSecret asSecret = delete.Value;
        asSecret.Value.Should().BeNull("a deleted secret carries no value");
        delete.Value.DeletedOn.Should().Be(Start);

        (await RefusedAsync(() => Secrets.SetSecretAsync(delete.Value))).Message.Should().Contain("no value");

        var recover = await Secrets.StartRecoverDeletedSecretAsync("db");
        recover.HasCompleted.Should().BeTrue();
        recover.Value.Version.Should().Be(set.Properties.Version);
        (await Secrets.GetSecretAsync("db")).Value.Should().Be("p@ss");

        var key = await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signer"));
        var deletedKey = (await Vault.Keys.StartDeleteKeyAsync("signer")).Value;
        KeyVaultKey asKey = deletedKey;
        asKey.Key.X.Should().Equal(key.Key.X, "a deleted key is the key version that was current");
        deletedKey.RecoveryId!.ToString().Should().EndWith("/deletedkeys/signer");
        (await Vault.Keys.StartRecoverDeletedKeyAsync("signer")).Value.Id.Should().Be(key.Id);

        var certificate = await CreateAsync("web", SelfPolicy());
        var deletedCertificate = (await Certificates.StartDeleteCertificateAsync("web")).Value;
        deletedCertificate.Cer.Should().Equal(certificate.Cer);
        deletedCertificate.Policy.Subject.Should().Be("CN=app.example.com");
        (await Certificates.StartRecoverDeletedCertificateAsync("web")).Value.Properties.Version.Should().Be(certificate.Properties.Version);
    }

    [Fact]
    public async Task A_value_before_completion_is_refused()
    {
        var pending = await Certificates.StartCreateCertificateAsync("ext", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=ext.example.com"));

        pending.HasCompleted.Should().BeFalse();
        pending.HasValue.Should().BeFalse();
        pending.Properties.Status.Should().Be(CertificateOperation.InProgress);
        pending.Properties.Id!.ToString().Should().EndWith("/certificates/ext/pending");
        pending.Properties.Target.Should().EndWith("/certificates/ext");
        pending.Properties.Csr.Should().NotBeNullOrEmpty();
        FluentActions.Invoking(() => pending.Value).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task Synchronous_counterparts_do_what_the_asynchronous_calls_do()
    {
        ISecretStore secrets = Secrets;
        var first = secrets.SetSecret("s", "1");
        secrets.SetSecret(new KeyVaultSecret("s", "2"));
        secrets.GetSecret("s").Value.Should().Be("2");
        secrets.GetSecret("s", first.Properties.Version, CancellationToken.None).Value.Should().Be("1");
        secrets.UpdateSecretProperties(new SecretProperties("s") { ContentType = "text/plain" }).ContentType.Should().Be("text/plain");
        secrets.GetPropertiesOfSecrets().Select(p => p.Name).Should().Equal("s");
        secrets.GetPropertiesOfSecretVersions("s").Should().HaveCount(2);
        var backup = secrets.BackupSecret("s");
        secrets.StartDeleteSecret("s").Value.Name.Should().Be("s");
        secrets.GetDeletedSecret("s").Name.Should().Be("s");
        secrets.GetDeletedSecrets().Should().ContainSingle();
        secrets.StartRecoverDeletedSecret("s").Value.Name.Should().Be("s");
        secrets.StartDeleteSecret("s");
        secrets.PurgeDeletedSecret("s");
        secrets.GetDeletedSecrets().Should().BeEmpty();
        secrets.RestoreSecretBackup(backup).Name.Should().Be("s");
        secrets.GetSecret("s").Value.Should().Be("2");

        IKeyStore keys = Vault.Keys;
        var key = keys.CreateEcKey(new CreateEcKeyOptions("k") { KeyOperations = { "SIGN", "sign", "Verify" } });
        key.KeyOperations.Select(o => o.ToString()).Should().Equal(["sign", "verify"], "operations are stored once each, in their canonical spelling");
        keys.GetKey("k").Id.Should().Be(key.Id);
        keys.GetPropertiesOfKeys().Should().ContainSingle();
        keys.RotateKey("k").Id.Should().NotBe(key.Id);
        keys.GetRandomBytes(16).Should().HaveCount(16);
        using (var client = keys.GetCryptographyClient("k"))
        {
            var digest = SHA256.HashData("data"u8);
            client.Verify(SignatureAlgorithm.ES256, digest, client.Sign(SignatureAlgorithm.ES256, digest).Signature).IsValid.Should().BeTrue();
        }

        ICertificateStore certificates = Certificates;
        var operation = certificates.StartCreateCertificate("web", SelfPolicy());
        operation.WaitForCompletion().Name.Should().Be("web");
        certificates.GetCertificate("web").Properties.Version.Should().Be(operation.Value.Properties.Version);
        using var downloaded = certificates.DownloadCertificate("web");
        downloaded.HasPrivateKey.Should().BeTrue();
        certificates.GetPropertiesOfCertificates().Select(c => c.Name).Should().Equal("web");
        certificates.GetCertificateOperation("web").HasCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task A_certificates_PKCS12_secret_reads_as_PEM_with_its_key_and_nothing_else_converts()
    {
        var created = await CreateAsync("web", SelfPolicy());

        var pem = await Secrets.GetSecretAsync("web", outContentType: SecretContentType.Pem);

        pem.Value.Should().Contain("-----BEGIN PRIVATE KEY-----").And.Contain("-----BEGIN CERTIFICATE-----");
        using (var fromPem = X509Certificate2.CreateFromPem(pem.Value, pem.Value))
        {
            fromPem.HasPrivateKey.Should().BeTrue();
            fromPem.RawData.Should().Equal(created.Cer);
        }

        pem.Properties.KeyId.Should().Be(created.KeyId);
        pem.Properties.ContentType.Should().Be(SecretContentType.Pem.ToString(), "the value read is PEM");
        (await Secrets.GetSecretAsync("web")).Properties.ContentType.Should().Be(SecretContentType.Pkcs12.ToString(), "the stored secret is unchanged");
        (await Secrets.GetSecretAsync("web", outContentType: SecretContentType.Pkcs12)).Value.Should().NotContain("BEGIN", "its own content type is no conversion");

        await Secrets.SetSecretAsync(new KeyVaultSecret("plain", "x") { Properties = { ContentType = SecretContentType.Pkcs12.ToString() } });
        var refused = await RefusedAsync(() => Secrets.GetSecretAsync("plain", outContentType: SecretContentType.Pem));
        refused.Message.Should().Contain("only conversion");
        (await Secrets.GetSecretAsync("plain")).Properties.KeyId.Should().BeNull();
        await RefusedAsync(() => Secrets.GetSecretAsync("web", outContentType: new SecretContentType("text/plain")));
    }

    [Fact]
    public async Task Identifiers_read_vault_name_and_version_and_refuse_what_is_not_one()
    {
        var secret = await Secrets.SetSecretAsync("db", "x");
        var id = new KeyVaultSecretIdentifier(secret.Id!);
        id.Name.Should().Be("db");
        id.Version.Should().Be(secret.Properties.Version);
        id.VaultUri.Should().Be(Vault.Properties.VaultUri);

        var nested = new KeyVaultSecretIdentifier(new Uri("https://host.example/vaults/a/secrets/db"));
        nested.VaultUri.Should().Be(new Uri("https://host.example/vaults/a/"));
        nested.Version.Should().BeNull();

        var ambiguous = new KeyVaultSecretIdentifier(new Uri("https://host.example/secrets/secrets/abc"));
        (ambiguous.Name, ambiguous.Version).Should().Be(("secrets", "abc"), "the versioned form is read first");
        KeyVaultSecretIdentifier.TryCreate(new Uri("https://host.example/secrets/a%2Fb"), out _).Should().BeFalse();
        KeyVaultSecretIdentifier.TryCreate(new Uri("https://host.example/keys/db/1"), out _).Should().BeFalse();
        KeyVaultSecretIdentifier.TryCreate(new Uri("https://host.example/secrets/"), out _).Should().BeFalse();
        KeyVaultSecretIdentifier.TryCreate(null, out _).Should().BeFalse();
        FluentActions.Invoking(() => new KeyVaultSecretIdentifier(new Uri("https://host.example/secrets/a/b/c"))).Should().Throw<ArgumentException>();

        var certificate = await CreateAsync("web", SelfPolicy());
        KeyVaultCertificateIdentifier.TryCreate(certificate.Id, out var cid).Should().BeTrue();
        cid.Name.Should().Be("web");
        cid.Version.Should().Be(certificate.Properties.Version);
        new KeyVaultSecretIdentifier(certificate.SecretId!).Name.Should().Be("web");
    }

    [Fact]
    public void Extensible_enumerations_compare_without_regard_to_case_and_convert_from_strings()
    {
        KeyType lower = "rsa-hsm";
        lower.Should().Be(KeyType.RsaHsm);
        (lower == KeyType.RsaHsm).Should().BeTrue();
        lower.GetHashCode().Should().Be(KeyType.RsaHsm.GetHashCode());
        lower.ToString().Should().Be("RSA-HSM", "a predefined name takes its predefined spelling");
        new KeyType("custom-Type").ToString().Should().Be("custom-Type", "any other name is kept as given");
        (SignatureAlgorithm.ES256 != "ES384").Should().BeTrue();
        new HashSet<CertificateKeyUsage> { CertificateKeyUsage.DigitalSignature, "DIGITALSIGNATURE" }.Should().ContainSingle();
        default(KeyCurveName).ToString().Should().BeNull();
        FluentActions.Invoking(() => new EncryptionAlgorithm(null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task URI_subject_alternative_names_are_issued_kept_in_the_policy_and_checked()
    {
        var policy = SelfPolicy();
        policy.SubjectAlternativeNames = new SubjectAlternativeNames { UniformResourceIdentifiers = { "spiffe://example.org/api" }, DnsNames = { "api.example.org" } };
        var created = await CreateAsync("spiffe", policy);

        var text = OpenSslOk("x509", "-in", WritePem("spiffe.pem", created.Cer), "-noout", "-ext", "subjectAltName");
        text.Should().Contain("URI:spiffe://example.org/api").And.Contain("DNS:api.example.org");
        (await Certificates.GetCertificatePolicyAsync("spiffe")).SubjectAlternativeNames!.UniformResourceIdentifiers.Should().Equal("spiffe://example.org/api");

        foreach (var uri in new[] { "not a uri", "https://bücher.example/", "/etc/passwd" })
        {
            var bad = SelfPolicy();
            bad.SubjectAlternativeNames = new SubjectAlternativeNames { UniformResourceIdentifiers = { uri } };
            (await RefusedAsync(() => Certificates.StartCreateCertificateAsync("bad", bad))).Message.Should().Contain("UniformResourceIdentifiers");
        }

        var email = SelfPolicy();
        email.SubjectAlternativeNames = new SubjectAlternativeNames { Emails = { "jürgen@example.com" } };
        (await RefusedAsync(() => Certificates.StartCreateCertificateAsync("bad", email))).Message.Should().Contain("Emails");
    }

    [Fact]
    public async Task Listing_with_pending_adds_names_that_only_have_a_pending_creation()
    {
        await CreateAsync("web", SelfPolicy());
        await Certificates.StartCreateCertificateAsync("ext", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=ext.example.com"));

        (await Certificates.GetPropertiesOfCertificatesAsync().ToListAsync()).Select(p => p.Name).Should().Equal("web");
        var all = await Certificates.GetPropertiesOfCertificatesAsync(includePending: true).ToListAsync();
        all.Select(p => p.Name).Should().BeEquivalentTo(["web", "ext"]);
        var ext = all.Single(p => p.Name == "ext");
        ext.Version.Should().BeNull();
        ext.Id!.ToString().Should().EndWith("/certificates/ext");
    }

    [Fact]
    public async Task Issuers_list_as_properties_with_their_identifiers()
    {
        await CreateAsync("root-ca", CaPolicy());
        var issuer = await Certificates.CreateIssuerAsync(new CertificateIssuer("Root") { CertificateName = "root-ca" });

        issuer.Id!.ToString().Should().EndWith("/certificates/issuers/Root");
        var listed = (await Certificates.GetPropertiesOfIssuersAsync().ToListAsync()).Should().ContainSingle().Which;
        listed.Name.Should().Be("Root");
        listed.Provider.Should().Be(CertificateIssuer.VaultCertificateProvider);
        listed.Id.Should().Be(issuer.Id);
    }

    [Fact]
    public async Task Download_options_take_the_version_and_refuse_key_storage_that_is_not_in_memory()
    {
        var first = await CreateAsync("web", SelfPolicy());
        await CreateAsync("web", SelfPolicy());

        using var older = await Certificates.DownloadCertificateAsync(new DownloadCertificateOptions("web") { Version = first.Properties.Version, KeyStorageFlags = X509KeyStorageFlags.Exportable });
        older.RawData.Should().Equal(first.Cer);
        (await RefusedAsync(() => Certificates.DownloadCertificateAsync(new DownloadCertificateOptions("web") { KeyStorageFlags = X509KeyStorageFlags.PersistKeySet })))
            .Message.Should().Contain("KeyStorageFlags");
    }

    [Fact]
    public void Model_factories_set_what_the_vault_owns()
    {
        var properties = SecretModelFactory.SecretProperties(id: new Uri("https://v.example/secrets/a/1"), name: "a", version: "1", managed: true, keyId: new Uri("https://v.example/keys/a/1"));
        var deleted = SecretModelFactory.DeletedSecret(properties, recoveryId: new Uri("https://v.example/deletedsecrets/a"), deletedOn: Start);
        deleted.Properties.KeyId.Should().Be(new Uri("https://v.example/keys/a/1"));
        deleted.DeletedOn.Should().Be(Start);
        deleted.ScheduledPurgeDate.Should().BeNull();

        var certificate = CertificateModelFactory.KeyVaultCertificateWithPolicy(
            CertificateModelFactory.CertificateProperties(name: "c", version: "2", vaultUri: new Uri("https://v.example/")), secretId: new Uri("https://other.example/secrets/c/2"));
        certificate.SecretId.Should().Be(new Uri("https://other.example/secrets/c/2"));
        certificate.KeyId.Should().Be(new Uri("https://v.example/keys/c/2"));
        CertificateModelFactory.CertificateOperationProperties(name: "c", status: CertificateOperation.Completed).Status.Should().Be(CertificateOperation.Completed);
    }
}
