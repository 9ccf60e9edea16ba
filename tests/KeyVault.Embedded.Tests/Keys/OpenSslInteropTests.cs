using System.Formats.Asn1;
using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Keys;

/// <summary>The vault's signatures and ciphertexts checked by an outside implementation: the OpenSSL command line.</summary>
public sealed class OpenSslInteropTests : VaultTestBase
{
    [Theory]
    [InlineData("P-256", "ES256", "-sha256")]
    [InlineData("P-256K", "ES256K", "-sha256")]
    [InlineData("P-384", "ES384", "-sha384")]
    [InlineData("P-521", "ES512", "-sha512")]
    public async Task OpenSSL_verifies_ECDSA_signatures_made_by_the_vault(string curve, string algorithm, string digest)
    {
        var key = await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k") { CurveName = new KeyCurveName(curve) });
        using var client = Vault.Keys.GetCryptographyClient("k");
        var data = RandomNumberGenerator.GetBytes(200);
        var signature = client.SignData(new SignatureAlgorithm(algorithm), data).Signature;
        using var publicKey = key.Key.ToECDsa();

        var result = Verify(publicKey.ExportSubjectPublicKeyInfoPem(), data, ToDer(signature), digest);

        result.Output.Should().Contain("Verified OK");
        result.ExitCode.Should().Be(0);
        Verify(publicKey.ExportSubjectPublicKeyInfoPem(), [.. data, 1], ToDer(signature), digest).ExitCode.Should().NotBe(0, "the check can fail");
    }

    [Theory]
    [InlineData("RS256", "-sha256", false)]
    [InlineData("RS512", "-sha512", false)]
    [InlineData("PS256", "-sha256", true)]
    [InlineData("PS384", "-sha384", true)]
    public async Task OpenSSL_verifies_RSA_signatures_made_by_the_vault(string algorithm, string digest, bool pss)
    {
        var key = await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("k"));
        using var client = Vault.Keys.GetCryptographyClient("k");
        var data = RandomNumberGenerator.GetBytes(200);
        var signature = client.SignData(new SignatureAlgorithm(algorithm), data).Signature;
        using var publicKey = key.Key.ToRSA();
        var options = pss ? new[] { "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest" } : [];

        var result = Verify(publicKey.ExportSubjectPublicKeyInfoPem(), data, signature, digest, options);

        result.Output.Should().Contain("Verified OK");
        result.ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task The_vault_decrypts_what_OpenSSL_encrypts_with_RSA_OAEP_256()
    {
        var key = await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("k") { KeySize = 3072 });
        using var client = Vault.Keys.GetCryptographyClient("k");
        using var publicKey = key.Key.ToRSA();
        var pem = Dir.File("public.pem");
        var message = Dir.File("message.bin");
        var ciphertext = Dir.File("ciphertext.bin");
        File.WriteAllText(pem, publicKey.ExportSubjectPublicKeyInfoPem());
        var plaintext = RandomNumberGenerator.GetBytes(64);
        File.WriteAllBytes(message, plaintext);

        var result = OpenSsl.Run("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in", message, "-out", ciphertext,
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256");

        result.ExitCode.Should().Be(0, result.Output);
        client.Decrypt(EncryptionAlgorithm.RsaOaep256, File.ReadAllBytes(ciphertext)).Plaintext.Should().Equal(plaintext);
    }

    private (int ExitCode, string Output) Verify(string publicKeyPem, byte[] data, byte[] signature, string digest, params string[] options)
    {
        var pem = Dir.File($"public-{Guid.NewGuid():N}.pem");
        var dataFile = Dir.File($"data-{Guid.NewGuid():N}.bin");
        var signatureFile = Dir.File($"signature-{Guid.NewGuid():N}.bin");
        File.WriteAllText(pem, publicKeyPem);
        File.WriteAllBytes(dataFile, data);
        File.WriteAllBytes(signatureFile, signature);
        return OpenSsl.Run(["dgst", digest, .. options, "-verify", pem, "-signature", signatureFile, dataFile]);
    }

    // JWS r||s to the DER SEQUENCE { r INTEGER, s INTEGER } that OpenSSL expects.
    private static byte[] ToDer(byte[] signature)
    {
        var half = signature.Length / 2;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(Minimal(signature.AsSpan(0, half)));
            writer.WriteIntegerUnsigned(Minimal(signature.AsSpan(half)));
        }

        return writer.Encode();
    }

    // DER integers carry no redundant leading zero bytes.
    private static ReadOnlySpan<byte> Minimal(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return value[start..];
    }
}
