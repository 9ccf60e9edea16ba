using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>Imports of PKCS#12 and PEM made by OpenSSL, the outside implementation.</summary>
public sealed class CertificateImportTests : CertificateTestBase
{
    private const string Password = "correct horse battery staple";

    [Theory]
    [InlineData("rsa:2048")]
    [InlineData("ec")]
    public async Task A_pfx_made_by_openssl_imports_with_its_chain_and_a_derived_policy(string algorithm)
    {
        var (leaf, key, ca) = OpenSslLeafWithCa(algorithm);
        var pfx = Dir.File("leaf.pfx");
        OpenSslOk("pkcs12", "-export", "-inkey", key, "-in", leaf, "-certfile", ca, "-passout", $"pass:{Password}", "-out", pfx);

        var imported = await Certificates.ImportCertificateAsync(new ImportCertificateOptions("imported", File.ReadAllBytes(pfx)) { Password = Password, Tags = { ["origin"] = "openssl" } });

        imported.Cer.Should().Equal(DerOf(leaf));
        imported.Chain.Should().ContainSingle().Which.Should().Equal(DerOf(ca));
        imported.Properties.Tags.Should().Contain("origin", "openssl");
        imported.Policy.IssuerName.Should().Be("Unknown");
        imported.Policy.Subject.Should().Be("CN=imported.example.com");
        imported.Policy.SubjectAlternativeNames!.DnsNames.Should().Equal("imported.example.com");
        imported.Policy.KeyType.Should().Be(algorithm == "ec" ? CertificateKeyType.Ec : CertificateKeyType.Rsa);
        imported.Policy.ContentType.Should().Be(CertificateContentType.Pkcs12);
        imported.Policy.LifetimeActions.Should().ContainSingle().Which.Action.Should().Be(CertificatePolicyAction.EmailContacts);

        // The private key came along: the vault's key signs what the certificate's public key verifies.
        using var downloaded = await Certificates.DownloadCertificateAsync("imported");
        downloaded.HasPrivateKey.Should().BeTrue();
        var signature = OpenSslSign(key);
        using var vaultKey = await Certificates.GetCertificateKeyAsync("imported");
        var data = Encoding.UTF8.GetBytes("to sign");

        // The managed key takes the certificate's validity: it signs nothing before the certificate's notBefore.
        FluentActions.Invoking(() => SignWith(vaultKey, data)).Should().Throw<VaultException>().Which.Status.Should().Be(403);
        Time.SetUtcNow(imported.Properties.NotBefore!.Value.AddMinutes(1));
        if (vaultKey is RSA rsa)
        {
            downloaded.GetRSAPublicKey()!.VerifyData(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();
            downloaded.GetRSAPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();
        }
        else
        {
            var ecdsa = (ECDsa)vaultKey;
            downloaded.GetECDsaPublicKey()!.VerifyData(data, ecdsa.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256).Should().BeTrue();
            downloaded.GetECDsaPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).Should().BeTrue();
        }
    }

    [Fact]
    public async Task A_pem_with_key_certificate_and_chain_imports_and_keeps_pem()
    {
        var (leaf, key, ca) = OpenSslLeafWithCa("ec");
        var pem = File.ReadAllText(key) + File.ReadAllText(leaf) + File.ReadAllText(ca);

        var imported = await Certificates.ImportCertificateAsync(new ImportCertificateOptions("pem", Encoding.UTF8.GetBytes(pem)));

        imported.Cer.Should().Equal(DerOf(leaf));
        imported.Chain.Should().ContainSingle();
        imported.Policy.ContentType.Should().Be(CertificateContentType.Pem);
        var secret = await Vault.Secrets.GetSecretAsync("pem");
        secret.Properties.ContentType.Should().Be("application/x-pem-file");
        var secretFile = Dir.File("secret.pem");
        File.WriteAllText(secretFile, secret.Value);
        OpenSslOk("verify", "-CAfile", ca, "-untrusted", secretFile, leaf).Should().Contain("OK");
        OpenSslOk("pkey", "-in", secretFile, "-pubout").Should().Be(OpenSslOk("pkey", "-in", key, "-pubout"));
    }

    [Fact]
    public async Task A_chain_first_pem_and_an_encrypted_pkcs8_key_import()
    {
        var (leaf, key, ca) = OpenSslLeafWithCa("rsa:2048");
        var encrypted = Dir.File("encrypted.pem");
        OpenSslOk("pkcs8", "-topk8", "-in", key, "-v2", "aes-256-cbc", "-passout", $"pass:{Password}", "-out", encrypted);
        var pem = File.ReadAllText(ca) + File.ReadAllText(encrypted) + File.ReadAllText(leaf);

        var missingPassword = await RefusedAsync(() => Certificates.ImportCertificateAsync(new ImportCertificateOptions("enc", Encoding.UTF8.GetBytes(pem))));
        missingPassword.Message.Should().Contain("Password");

        var imported = await Certificates.ImportCertificateAsync(new ImportCertificateOptions("enc", Encoding.UTF8.GetBytes(pem)) { Password = Password });
        imported.Cer.Should().Equal(DerOf(leaf), "the leaf is the certificate of the key, wherever it stands");
        imported.Chain.Should().ContainSingle().Which.Should().Equal(DerOf(ca));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_echoing_it_and_writes_nothing()
    {
        var (leaf, key, _) = OpenSslLeafWithCa("rsa:2048");
        var pfx = Dir.File("leaf.pfx");
        OpenSslOk("pkcs12", "-export", "-inkey", key, "-in", leaf, "-passout", $"pass:{Password}", "-out", pfx);

        var error = await RefusedAsync(() => Certificates.ImportCertificateAsync(new ImportCertificateOptions("imported", File.ReadAllBytes(pfx)) { Password = "guess-Xyzzy" }));

        error.Message.Should().Contain("Password").And.NotContain("guess-Xyzzy");
        await FluentActions.Awaiting(() => Certificates.GetCertificateAsync("imported")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("imported")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    public static TheoryData<string, string> MalformedInputs => new()
    {
        { "garbage", "PKCS#12" },
        { "certificate only", "no private key" },
        { "key only", "no CERTIFICATE" },
        { "foreign key", "does not match" },
        { "truncated certificate", "not a valid X.509" },
        { "unknown block", "PEM block" },
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public async Task Malformed_input_is_refused_naming_the_problem(string input, string expected)
    {
        var (leaf, key, ca) = OpenSslLeafWithCa("ec");
        var otherKey = Dir.File("other.key");
        OpenSslOk("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", otherKey);
        var leafPem = File.ReadAllText(leaf);
        var bytes = input switch
        {
            "garbage" => RandomNumberGenerator.GetBytes(300),
            "certificate only" => Encoding.UTF8.GetBytes(leafPem),
            "key only" => File.ReadAllBytes(key),
            "foreign key" => Encoding.UTF8.GetBytes(File.ReadAllText(otherKey) + leafPem),
            "truncated certificate" => Encoding.UTF8.GetBytes(File.ReadAllText(key) + "-----BEGIN CERTIFICATE-----\nMIIBkzCCATmgAwIBAgIU\n-----END CERTIFICATE-----\n"),
            _ => Encoding.UTF8.GetBytes(File.ReadAllText(key) + leafPem + "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n" + File.ReadAllText(ca)),
        };

        var error = await RefusedAsync(() => Certificates.ImportCertificateAsync(new ImportCertificateOptions("bad", bytes)));

        error.Message.Should().Contain(expected);
    }

    [Fact]
    public async Task A_policy_given_with_the_import_must_fit_the_key()
    {
        var (leaf, key, _) = OpenSslLeafWithCa("ec");
        var pem = Encoding.UTF8.GetBytes(File.ReadAllText(key) + File.ReadAllText(leaf));

        var mismatch = await RefusedAsync(() => Certificates.ImportCertificateAsync(new ImportCertificateOptions("x", pem) { Policy = new CertificatePolicy("Unknown", "CN=x") { KeyType = CertificateKeyType.Rsa } }));
        mismatch.Message.Should().Contain("KeyType");

        var policy = new CertificatePolicy("Unknown", "CN=imported.example.com") { ContentType = CertificateContentType.Pkcs12, Exportable = false };
        var imported = await Certificates.ImportCertificateAsync(new ImportCertificateOptions("x", pem) { Policy = policy });
        imported.Policy.ContentType.Should().Be(CertificateContentType.Pkcs12);
        imported.Policy.Exportable.Should().BeFalse();
        imported.Policy.KeyType.Should().Be(CertificateKeyType.Ec);
        imported.Policy.KeyCurveName.Should().Be(CertificateKeyCurveName.P256);
        using var downloaded = await Certificates.DownloadCertificateAsync("x");
        downloaded.HasPrivateKey.Should().BeFalse("the policy made the imported key non-exportable");
    }

    private static byte[] SignWith(AsymmetricAlgorithm key, byte[] data) => key is RSA rsa
        ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : ((ECDsa)key).SignData(data, HashAlgorithmName.SHA256);

    private (string Leaf, string Key, string Ca) OpenSslLeafWithCa(string algorithm)
    {
        var caKey = Dir.File("ca.key");
        var ca = Dir.File("ca.pem");
        OpenSslOk("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-subj", "/CN=Import Test CA", "-days", "3650");
        var key = Dir.File("leaf.key");
        var csr = Dir.File("leaf.csr");
        var keySpec = algorithm == "ec" ? "ec" : algorithm;
        if (algorithm == "ec")
        {
            OpenSslOk("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=imported.example.com", "-addext", "subjectAltName=DNS:imported.example.com");
        }
        else
        {
            OpenSslOk("req", "-newkey", keySpec, "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=imported.example.com", "-addext", "subjectAltName=DNS:imported.example.com");
        }

        var leaf = Dir.File("leaf.pem");
        OpenSslOk("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "365", "-copy_extensions", "copyall", "-out", leaf);
        return (leaf, key, ca);
    }

    private byte[] OpenSslSign(string key)
    {
        var data = Dir.File("data.txt");
        File.WriteAllText(data, "to sign");
        var signature = Dir.File("data.sig");
        OpenSslOk("dgst", "-sha256", "-sign", key, "-out", signature, data);
        return File.ReadAllBytes(signature);
    }

    private static byte[] DerOf(string pemFile) => Load(X509Certificate2.CreateFromPem(File.ReadAllText(pemFile)).RawData).RawData;
}
