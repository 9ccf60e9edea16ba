using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Tests.Support;
using Net.Pkcs11Interop.Common;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary>Certificates whose keys live in the token: issued, signed with and destroyed there.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class HsmCertificateTests : IAsyncLifetime
{
    private readonly SoftHsm _hsm;
    private readonly TempDirectory _dir = new();
    private Pkcs11RootKey _root = null!;
    private string _token = null!;
    private EmbeddedVault _vault = null!;

    public HsmCertificateTests(SoftHsm hsm)
    {
        _hsm = hsm;
    }

    private ICertificateStore Certificates => _vault.Certificates;

    public async Task InitializeAsync()
    {
        _token = _hsm.SharedToken;
        _root = new Pkcs11RootKey(SoftHsm.Options(_token));
        _vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("vault.db"), RootKey = _root });
    }

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _root.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("RSA-HSM", null)]
    [InlineData("EC-HSM", "P-256")]
    [InlineData("EC-HSM", "P-384")]
    public async Task A_token_key_signs_its_certificate_and_signs_through_the_key_object(string keyType, string? curve)
    {
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=hsm.example.com")
        {
            KeyType = new CertificateKeyType(keyType),
            KeyCurveName = curve is null ? null : (CertificateKeyCurveName?)new CertificateKeyCurveName(curve),
        };

        var created = (await Certificates.StartCreateCertificateAsync("hsm", policy)).Value!;

        created.Policy.Exportable.Should().BeFalse();
        var pem = _dir.File("hsm.pem");
        File.WriteAllText(pem, new string(PemEncoding.Write("CERTIFICATE", created.Cer)));
        var (exitCode, output) = OpenSsl.Run("verify", "-CAfile", pem, "-partial_chain", pem);
        exitCode.Should().Be(0, output);

        // The key is in the token, and only there: the secret carries no private key, and the download's private key
        // is a handle on the token's key that cannot be exported.
        var key = await _vault.Keys.GetKeyAsync("hsm");
        var label = $"kve:{_vault.Properties.VaultId:N}:hsm:{created.Properties.Version}";
        SoftHsm.InToken(_token, session => session.FindAllObjects([session.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label)]).Count).Should().BeGreaterThan(0);
        using var downloaded = await Certificates.DownloadCertificateAsync("hsm");
        downloaded.HasPrivateKey.Should().BeTrue();
        using (var native = (AsymmetricAlgorithm?)downloaded.GetRSAPrivateKey() ?? downloaded.GetECDsaPrivateKey()!)
        {
            FluentActions.Invoking(() => native.ExportPkcs8PrivateKey()).Should().Throw<CryptographicException>();
        }

        using (var pfx = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String((await _vault.Secrets.GetSecretAsync("hsm")).Value), null))
        {
            pfx.HasPrivateKey.Should().BeFalse();
        }

        // Signing through the key object runs in the token and verifies with the certificate.
        using var tokenKey = await Certificates.GetCertificateKeyAsync("hsm");
        var data = "signed in the token"u8.ToArray();
        if (tokenKey is RSA rsa)
        {
            downloaded.GetRSAPublicKey()!.VerifyData(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss), HashAlgorithmName.SHA256, RSASignaturePadding.Pss).Should().BeTrue();
        }
        else
        {
            // Vault EC keys sign with their curve's hash (ES256 with P-256, ES384 with P-384), as in Azure.
            var ecdsa = (ECDsa)tokenKey;
            var hash = curve == "P-384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
            downloaded.GetECDsaPublicKey()!.VerifyData(data, ecdsa.SignData(data, hash), hash).Should().BeTrue();
        }

        key.Properties.Managed.Should().BeTrue();
    }

    [Theory]
    [InlineData("RSA-HSM")]
    [InlineData("EC-HSM")]
    public async Task A_downloaded_certificate_with_a_token_key_serves_tls(string keyType)
    {
        var root = (await Certificates.StartCreateCertificateAsync("tls-root", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Token TLS Root")
        {
            KeyType = CertificateKeyType.EcHsm,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.DigitalSignature },
        })).Value!;
        await Certificates.CreateIssuerAsync(new CertificateIssuer("tls-root") { CertificateName = "tls-root" });
        await Certificates.StartCreateCertificateAsync("tls", new CertificatePolicy("tls-root", "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" } })
        {
            KeyType = new CertificateKeyType(keyType),
            EnhancedKeyUsage = { "1.3.6.1.5.5.7.3.1" },
        });

        using var server = await Certificates.DownloadCertificateAsync("tls");
        using var trusted = X509CertificateLoader.LoadCertificate(root.Cer);
        var (answer, seen) = await TlsLoopback.ExchangeAsync(server, TlsLoopback.TrustOnly(trusted));

        answer.Should().Equal("pong"u8.ToArray());
        seen.Should().Equal(server.RawData);

        // The handshake's signature came from the token: the downloaded certificate's key signs what its public key verifies,
        // and the vault keeps working beside OpenSSL's use of the token.
        using var native = (AsymmetricAlgorithm?)server.GetRSAPrivateKey() ?? server.GetECDsaPrivateKey()!;
        var data = "tls"u8.ToArray();
        if (native is RSA rsa)
        {
            server.GetRSAPublicKey()!.VerifyData(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();
        }
        else
        {
            server.GetECDsaPublicKey()!.VerifyData(data, ((ECDsa)native).SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256).Should().BeTrue();
        }

        (await _vault.Keys.CreateRsaKeyAsync(new KeyVault.Embedded.Keys.CreateRsaKeyOptions("after-tls", hardwareProtected: true))).Key.N.Should().NotBeNull();
    }

    [Fact]
    public async Task A_token_ca_issues_a_chain_that_openssl_verifies()
    {
        var ca = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Token Root CA")
        {
            KeyType = CertificateKeyType.EcHsm,
            KeyCurveName = CertificateKeyCurveName.P384,
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.DigitalSignature },
        };
        var root = (await Certificates.StartCreateCertificateAsync("token-root", ca)).Value!;
        await Certificates.CreateIssuerAsync(new CertificateIssuer("token-root") { CertificateName = "token-root" });

        var leaf = (await Certificates.StartCreateCertificateAsync("leaf", new CertificatePolicy("token-root", "CN=leaf.example.com") { KeyType = CertificateKeyType.Rsa })).Value!;

        var rootFile = _dir.File("root.pem");
        var leafFile = _dir.File("leaf.pem");
        File.WriteAllText(rootFile, new string(PemEncoding.Write("CERTIFICATE", root.Cer)));
        File.WriteAllText(leafFile, new string(PemEncoding.Write("CERTIFICATE", leaf.Cer)));
        var (exitCode, output) = OpenSsl.Run("verify", "-CAfile", rootFile, leafFile);
        exitCode.Should().Be(0, output);
        output.Should().Contain(": OK");
    }

    [Fact]
    public async Task A_pending_operation_with_a_token_key_and_its_purge_destroy_the_token_objects()
    {
        var pending = await Certificates.StartCreateCertificateAsync("pending", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=pending") { KeyType = CertificateKeyType.RsaHsm });
        var csr = _dir.File("pending.csr");
        File.WriteAllText(csr, new string(PemEncoding.Write("CERTIFICATE REQUEST", pending.Properties.Csr!)));
        var (exitCode, output) = OpenSsl.Run("req", "-in", csr, "-noout", "-verify");
        exitCode.Should().Be(0, output);
        var prefix = $"kve:{_vault.Properties.VaultId:N}:pending:";
        CountWithLabelPrefix(prefix).Should().BeGreaterThan(0);

        await (await Certificates.GetCertificateOperationAsync("pending")).DeleteAsync();

        CountWithLabelPrefix(prefix).Should().Be(0, "deleting the operation destroys its key in the token");

        var created = (await Certificates.StartCreateCertificateAsync("gone", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=gone") { KeyType = CertificateKeyType.EcHsm })).Value!;
        CountWithLabelPrefix($"kve:{_vault.Properties.VaultId:N}:gone:").Should().BeGreaterThan(0);
        await Certificates.StartDeleteCertificateAsync("gone");
        await Certificates.PurgeDeletedCertificateAsync("gone");
        CountWithLabelPrefix($"kve:{_vault.Properties.VaultId:N}:gone:").Should().Be(0, "purging the certificate destroys its managed key in the token");
        created.Should().NotBeNull();
    }

    [Fact]
    public async Task A_soft_deleted_pending_only_certificate_keeps_its_token_key_for_recovery_and_its_purge_destroys_it()
    {
        await Certificates.StartCreateCertificateAsync("waiting", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=waiting") { KeyType = CertificateKeyType.RsaHsm });
        var prefix = $"kve:{_vault.Properties.VaultId:N}:waiting:";
        var made = CountWithLabelPrefix(prefix);
        made.Should().BeGreaterThan(0, "the request's key is made in the token");

        await Certificates.StartDeleteCertificateAsync("waiting");
        CountWithLabelPrefix(prefix).Should().Be(made, "a soft delete keeps the key for recovery");
        await Certificates.StartRecoverDeletedCertificateAsync("waiting");
        (await Certificates.GetCertificateOperationAsync("waiting")).Properties.Status.Should().Be(CertificateOperation.InProgress);

        await Certificates.StartDeleteCertificateAsync("waiting");
        await Certificates.PurgeDeletedCertificateAsync("waiting");
        CountWithLabelPrefix(prefix).Should().Be(0, "the purge destroys the pending key in the token");
    }

    private int CountWithLabelPrefix(string prefix) => SoftHsm.InToken(_token, session =>
        session.FindAllObjects([])
            .Select(handle => session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString())
            .Count(label => label?.StartsWith(prefix, StringComparison.Ordinal) == true));
}
