using System.Security.Cryptography.X509Certificates;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>A vault for certificate tests, with helpers to build policies and hand certificates to OpenSSL.</summary>
public abstract class CertificateTestBase : VaultTestBase
{
    private readonly RecordingFiles _files = new();

    protected ICertificateStore Certificates => Vault.Certificates;

    /// <summary>The vault's time as OpenSSL's <c>-attime</c>, so checks do not depend on the machine's clock.</summary>
    protected string AtTime => Time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected override void Configure(EmbeddedVaultOptions options) => options.StoreFactory = _files.Open;

    /// <summary>Asserts a refused call: a typed error with the given status, and not one byte written.</summary>
    protected async Task<VaultException> RefusedAsync(Func<Task> act, int status = 400)
    {
        var writesBefore = _files.Log.Events.Count + _files.Data.Events.Count;

        var error = (await act.Should().ThrowAsync<VaultException>()).Which;

        error.Status.Should().Be(status, error.Message);
        if (status == 400)
        {
            error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        }

        (_files.Log.Events.Count + _files.Data.Events.Count).Should().Be(writesBefore, "a refused call writes nothing");
        return error;
    }

    protected static CertificatePolicy SelfPolicy(string subject = "CN=app.example.com", string? keyType = null, string? curve = null) => new(WellKnownIssuerNames.Self, subject)
    {
        KeyType = keyType is null ? null : (CertificateKeyType?)new CertificateKeyType(keyType),
        KeyCurveName = curve is null ? null : (CertificateKeyCurveName?)new CertificateKeyCurveName(curve),
    };

    protected static CertificatePolicy CaPolicy(string subject = "CN=Example Root CA") => new(WellKnownIssuerNames.Self, subject)
    {
        KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign, CertificateKeyUsage.DigitalSignature },
        ValidityInMonths = 60,
    };

    protected async Task<KeyVaultCertificateWithPolicy> CreateAsync(string name, CertificatePolicy policy)
    {
        var operation = await Certificates.StartCreateCertificateAsync(name, policy);
        operation.HasCompleted.Should().BeTrue();
        return operation.Value!;
    }

    /// <summary>Writes certificates (DER) as one PEM file for OpenSSL.</summary>
    protected string WritePem(string fileName, params byte[][] certificates)
    {
        var path = Dir.File(fileName);
        File.WriteAllText(path, string.Concat(certificates.Select(der => PemEncode("CERTIFICATE", der))));
        return path;
    }

    protected static string PemEncode(string label, byte[] der) => new string(System.Security.Cryptography.PemEncoding.Write(label, der)) + "\n";

    protected static string OpenSslOk(params string[] arguments)
    {
        var (exitCode, output) = OpenSsl.Run(arguments);
        exitCode.Should().Be(0, output);
        return output;
    }

    protected static X509Certificate2 Load(byte[] der) => X509CertificateLoader.LoadCertificate(der);
}
