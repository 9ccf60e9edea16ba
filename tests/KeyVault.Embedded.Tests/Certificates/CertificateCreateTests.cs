using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Tests.Certificates;

public sealed class CertificateCreateTests : CertificateTestBase
{
    public static TheoryData<string, string?, string> KeyShapes => new()
    {
        { "RSA", null, "sha256WithRSAEncryption" },
        { "EC", "P-256", "ecdsa-with-SHA256" },
        { "EC", "P-384", "ecdsa-with-SHA384" },
        { "EC", "P-521", "ecdsa-with-SHA512" },
    };

    [Theory]
    [MemberData(nameof(KeyShapes))]
    public async Task A_self_signed_certificate_carries_what_the_policy_asked_for(string keyType, string? curve, string signature)
    {
        var policy = SelfPolicy("CN=api.example.com, O=Contoso", keyType, curve);
        policy.SubjectAlternativeNames = new SubjectAlternativeNames
        {
            DnsNames = { "api.example.com", "www.example.com" },
            Emails = { "ops@example.com" },
            UserPrincipalNames = { "svc@example.com" },
            IpAddresses = { "127.0.0.1", "::1" },
        };
        policy.EnhancedKeyUsage.Add("1.3.6.1.5.5.7.3.1");
        policy.KeyUsage.Add(CertificateKeyUsage.DigitalSignature);
        policy.ValidityInMonths = 6;

        var created = await CreateAsync("api", policy);

        var text = OpenSslOk("x509", "-inform", "DER", "-in", WriteDer("api.cer", created.Cer), "-noout", "-text");
        // The policy's subject is written as RFC 4514 writes names (most specific first); DER holds it root first.
        text.Should().Contain("Subject: O = Contoso, CN = api.example.com");
        text.Should().Contain("Issuer: O = Contoso, CN = api.example.com");
        text.Should().Contain("DNS:api.example.com").And.Contain("DNS:www.example.com");
        text.Should().Contain("email:ops@example.com");
        text.Should().Contain("IP Address:127.0.0.1").And.Contain("IP Address:0:0:0:0:0:0:0:1");
        text.Should().Contain("othername: UPN::svc@example.com");
        text.Should().Contain("TLS Web Server Authentication").And.NotContain("TLS Web Client Authentication");
        text.Should().Contain("X509v3 Key Usage: critical").And.Contain("Digital Signature");
        text.Should().Contain("CA:FALSE");
        text.Should().Contain("X509v3 Subject Key Identifier");
        text.Should().Contain($"Signature Algorithm: {signature}");

        // The certificate verifies against itself: its key signed it.
        var path = WritePem("api.pem", created.Cer);
        OpenSslOk("verify", "-attime", AtTime, "-CAfile", path, "-partial_chain", path).Should().Contain("OK");

        using var certificate = Load(created.Cer);
        certificate.NotBefore.ToUniversalTime().Should().Be(Start.UtcDateTime);
        certificate.NotAfter.ToUniversalTime().Should().Be(Start.AddMonths(6).UtcDateTime);
        created.Properties.NotBefore.Should().Be(Start);
        created.Properties.ExpiresOn.Should().Be(Start.AddMonths(6));
        created.Properties.X509Thumbprint.Should().Equal(certificate.GetCertHash());
        created.Policy.IssuerName.Should().Be("Self");
        created.Chain.Should().BeEmpty();
    }

    [Fact]
    public async Task Defaults_are_rsa_2048_exportable_pkcs12_with_server_and_client_authentication()
    {
        var created = await CreateAsync("web", SelfPolicy());

        created.Policy.KeyType.Should().Be(CertificateKeyType.Rsa);
        created.Policy.KeySize.Should().Be(2048);
        created.Policy.Exportable.Should().BeTrue();
        created.Policy.ReuseKey.Should().BeFalse();
        created.Policy.ContentType.Should().Be(CertificateContentType.Pkcs12);
        created.Policy.ValidityInMonths.Should().Be(12);
        created.Policy.KeyUsage.Should().BeEquivalentTo([CertificateKeyUsage.DigitalSignature, CertificateKeyUsage.KeyEncipherment]);
        created.Policy.EnhancedKeyUsage.Should().BeEquivalentTo(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
        created.Policy.LifetimeActions.Should().ContainSingle().Which.Action.Should().Be(CertificatePolicyAction.AutoRenew);
        created.Policy.LifetimeActions[0].LifetimePercentage.Should().Be(80);

        using var certificate = Load(created.Cer);
        certificate.GetRSAPublicKey()!.KeySize.Should().Be(2048);
    }

    [Fact]
    public async Task A_certificate_creates_a_managed_key_and_secret_of_the_same_name_and_version()
    {
        var created = await CreateAsync("web", SelfPolicy());
        var version = created.Properties.Version;

        var key = await Vault.Keys.GetKeyAsync("web");
        key.Properties.Version.Should().Be(version);
        key.Properties.Managed.Should().BeTrue();
        key.Properties.ExpiresOn.Should().Be(created.Properties.ExpiresOn);
        created.KeyId.Should().Be(key.Id);

        var secret = await Vault.Secrets.GetSecretAsync("web");
        secret.Properties.Version.Should().Be(version);
        secret.Properties.Managed.Should().BeTrue();
        secret.Properties.ContentType.Should().Be("application/x-pkcs12");
        created.SecretId.Should().Be(secret.Id);

        // The secret is the PFX, with the private key of the managed key.
        using var pfx = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(secret.Value), null);
        pfx.RawData.Should().Equal(created.Cer);
        pfx.HasPrivateKey.Should().BeTrue();
        using var rsa = pfx.GetRSAPrivateKey()!;
        var digest = SHA256.HashData("hello"u8);
        var signature = rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var verified = await Vault.Keys.GetCryptographyClient("web").VerifyAsync(SignatureAlgorithm.RS256, digest, signature);
        verified.IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task The_managed_key_and_secret_are_read_only_through_their_own_stores()
    {
        await CreateAsync("web", SelfPolicy());

        await FailsWith(() => Vault.Secrets.SetSecretAsync("web", "x"), 403);
        await FailsWith(() => Vault.Secrets.StartDeleteSecretAsync("web"), 403);
        var secret = await Vault.Secrets.GetSecretAsync("web");
        secret.Properties.Enabled = false;
        await FailsWith(() => Vault.Secrets.UpdateSecretPropertiesAsync(secret.Properties), 403);
        await FailsWith(() => Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("web")), 403);
        await FailsWith(() => Vault.Keys.RotateKeyAsync("web"), 403);
        await FailsWith(() => Vault.Keys.StartDeleteKeyAsync("web"), 403);
        var key = await Vault.Keys.GetKeyAsync("web");
        await FailsWith(() => Vault.Keys.UpdateKeyPropertiesAsync(key.Properties), 403);

        (await Vault.Secrets.GetSecretAsync("web")).Properties.Enabled.Should().BeTrue();
        (await Vault.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(key.Properties.Version);
    }

    [Fact]
    public async Task A_name_held_by_a_plain_key_or_secret_cannot_become_a_certificate()
    {
        await Vault.Secrets.SetSecretAsync("taken-secret", "value");
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("taken-key"));

        (await FailsWith(() => Certificates.StartCreateCertificateAsync("taken-secret", SelfPolicy()), 409)).Message.Should().Contain("secret");
        (await FailsWith(() => Certificates.StartCreateCertificateAsync("taken-key", SelfPolicy()), 409)).Message.Should().Contain("key");
        (await FailsWith(() => Certificates.StartCreateCertificateAsync("taken-key", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=x")), 409)).Message.Should().Contain("key");

        await FailsWith(() => Certificates.GetCertificateAsync("taken-secret"), 404);
        (await Vault.Keys.GetKeyAsync("taken-key")).Properties.Managed.Should().BeFalse();
        await FailsWith(() => Certificates.GetCertificateOperationAsync("taken-key"), 404);
    }

    [Fact]
    public async Task A_new_create_makes_a_new_version_of_certificate_key_and_secret()
    {
        var first = await CreateAsync("web", SelfPolicy());
        var second = await CreateAsync("web", SelfPolicy("CN=second.example.com"));

        second.Properties.Version.Should().NotBe(first.Properties.Version);
        (await Certificates.GetCertificateAsync("web")).Properties.Version.Should().Be(second.Properties.Version);
        (await Vault.Keys.GetKeyAsync("web")).Properties.Version.Should().Be(second.Properties.Version);
        (await Vault.Secrets.GetSecretAsync("web")).Properties.Version.Should().Be(second.Properties.Version);
        (await Certificates.GetCertificateVersionAsync("web", first.Properties.Version!)).Cer.Should().Equal(first.Cer);

        var versions = await Certificates.GetPropertiesOfCertificateVersionsAsync("web").ToListAsync();
        versions.Select(v => v.Version).Should().Equal(first.Properties.Version, second.Properties.Version);
        using var a = Load(first.Cer);
        using var b = Load(second.Cer);
        b.PublicKey.ExportSubjectPublicKeyInfo().Should().NotEqual(a.PublicKey.ExportSubjectPublicKeyInfo(), "a new version gets a new key unless the policy reuses it");
    }

    [Fact]
    public async Task A_pem_policy_stores_the_key_and_chain_as_pem()
    {
        var policy = SelfPolicy(keyType: "EC", curve: "P-256");
        policy.ContentType = CertificateContentType.Pem;
        var created = await CreateAsync("pem", policy);

        var secret = await Vault.Secrets.GetSecretAsync("pem");
        secret.Properties.ContentType.Should().Be("application/x-pem-file");
        secret.Value.Should().Contain("-----BEGIN PRIVATE KEY-----").And.Contain("-----BEGIN CERTIFICATE-----");
        var path = Dir.File("pem.pem");
        File.WriteAllText(path, secret.Value);
        OpenSslOk("pkey", "-in", path, "-noout");
        using var fromPem = X509Certificate2.CreateFromPem(secret.Value, secret.Value);
        fromPem.RawData.Should().Equal(created.Cer);
        fromPem.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public async Task A_non_exportable_key_stays_out_of_the_secret_and_the_download()
    {
        var policy = SelfPolicy();
        policy.Exportable = false;
        var created = await CreateAsync("locked", policy);

        var secret = await Vault.Secrets.GetSecretAsync("locked");
        using (var pfx = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(secret.Value), null))
        {
            pfx.HasPrivateKey.Should().BeFalse();
        }

        using var downloaded = await Certificates.DownloadCertificateAsync("locked");
        downloaded.HasPrivateKey.Should().BeFalse();
        downloaded.RawData.Should().Equal(created.Cer);

        // Its key still signs, in the vault.
        using var key = (RSA)await Certificates.GetCertificateKeyAsync("locked");
        var data = Encoding.UTF8.GetBytes("signed in the vault");
        var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        downloaded.GetRSAPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss).Should().BeTrue();
        FluentActions.Invoking(() => key.ExportParameters(true)).Should().Throw<CryptographicException>();
    }

    [Fact]
    public async Task A_download_in_an_output_format_azure_does_not_have_is_refused_as_a_secret_get_is()
    {
        await CreateAsync("ec", SelfPolicy(keyType: "EC", curve: "P-256"));

        var error = (await FluentActions.Awaiting(() => Certificates.DownloadCertificateAsync("ec", outContentType: new CertificateContentType("bogus"))).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("bogus");
        using var pem = await Certificates.DownloadCertificateAsync("ec", outContentType: CertificateContentType.Pem);
        pem.HasPrivateKey.Should().BeTrue("Azure's two formats are served");
    }

    [Fact]
    public async Task An_exportable_download_holds_a_working_private_key()
    {
        var created = await CreateAsync("ec", SelfPolicy(keyType: "EC", curve: "P-384"));

        using var downloaded = await Certificates.DownloadCertificateAsync("ec", created.Properties.Version);
        downloaded.HasPrivateKey.Should().BeTrue();
        using var ecdsa = downloaded.GetECDsaPrivateKey()!;
        var data = "data"u8.ToArray();
        var signature = ecdsa.SignData(data, HashAlgorithmName.SHA384);
        downloaded.GetECDsaPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA384).Should().BeTrue();

        // The vault-side key object signs the same way and verifies with the certificate.
        using var vaultKey = (ECDsa)await Certificates.GetCertificateKeyAsync("ec");
        downloaded.GetECDsaPublicKey()!.VerifyData(data, vaultKey.SignData(data, HashAlgorithmName.SHA384), HashAlgorithmName.SHA384).Should().BeTrue();
    }

    [Fact]
    public async Task A_disabled_version_cannot_be_downloaded_and_its_key_stops_signing()
    {
        var created = await CreateAsync("web", SelfPolicy());
        created.Properties.Enabled = false;
        created.Properties.Tags["env"] = "test";
        var updated = await Certificates.UpdateCertificatePropertiesAsync(created.Properties);
        updated.Properties.Enabled.Should().BeFalse();
        updated.Properties.Tags.Should().Contain("env", "test");

        await FailsWith(() => Certificates.DownloadCertificateAsync("web"), 403);
        (await Vault.Keys.GetKeyAsync("web")).Properties.Enabled.Should().BeFalse();
        var secretFailure = await FailsWith(() => Vault.Secrets.GetSecretAsync("web"), 403);
        secretFailure.ErrorCode.Should().Be(VaultErrorCode.SecretDisabled);
        using var key = (RSA)await Certificates.GetCertificateKeyAsync("web");
        FluentActions.Invoking(() => key.SignData([1, 2, 3], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            .Should().Throw<VaultException>().Which.Status.Should().Be(403);
    }

    [Fact]
    public async Task The_validity_of_a_certificate_cannot_be_edited_through_its_properties()
    {
        var created = await CreateAsync("web", SelfPolicy());
        created.Properties.ExpiresOn = created.Properties.ExpiresOn!.Value.AddYears(5);

        var failure = await FailsWith(() => Certificates.UpdateCertificatePropertiesAsync(created.Properties), 400);
        failure.Message.Should().Contain("ExpiresOn");
        (await Certificates.GetCertificateAsync("web")).Properties.ExpiresOn.Should().Be(Start.AddMonths(12));
    }

    private string WriteDer(string fileName, byte[] der)
    {
        var path = Dir.File(fileName);
        File.WriteAllBytes(path, der);
        return path;
    }

    private static async Task<VaultException> FailsWith(Func<Task> action, int status)
    {
        var failure = await FluentActions.Awaiting(action).Should().ThrowAsync<VaultException>();
        failure.Which.Status.Should().Be(status, failure.Which.Message);
        return failure.Which;
    }
}
