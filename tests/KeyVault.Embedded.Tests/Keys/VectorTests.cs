using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Keys;

/// <summary>Published test vectors, run through keys imported into the vault.</summary>
public sealed class VectorTests : VaultTestBase
{
    [Fact]
    public async Task AES_key_wrap_matches_RFC_3394_section_4()
    {
        using var file = Vector("rfc3394-section4.json");
        foreach (var vector in file.RootElement.GetProperty("cases").EnumerateArray())
        {
            var section = vector.GetProperty("section").GetString()!;
            var kek = Convert.FromHexString(vector.GetProperty("kek").GetString()!);
            var name = "kw-" + section.Replace('.', '-');
            await Vault.Keys.ImportKeyAsync(name, new JsonWebKey { KeyType = KeyType.Oct, K = kek });
            using var client = Vault.Keys.GetCryptographyClient(name);
            var algorithm = new KeyWrapAlgorithm($"A{kek.Length * 8}KW");

            var wrapped = client.WrapKey(algorithm, Convert.FromHexString(vector.GetProperty("key").GetString()!));
            var unwrapped = client.UnwrapKey(algorithm, Convert.FromHexString(vector.GetProperty("wrapped").GetString()!));

            Convert.ToHexString(wrapped.EncryptedKey).Should().Be(vector.GetProperty("wrapped").GetString(), $"RFC 3394 section {section}");
            Convert.ToHexString(unwrapped.Key).Should().Be(vector.GetProperty("key").GetString(), $"RFC 3394 section {section}");
        }
    }

    [Fact]
    public async Task AES_GCM_decrypts_the_GCM_specification_test_cases()
    {
        using var file = Vector("gcm-spec-test-cases.json");
        foreach (var vector in file.RootElement.GetProperty("cases").EnumerateArray())
        {
            var number = vector.GetProperty("case").GetInt32();
            var key = Hex(vector, "key");
            await Vault.Keys.ImportKeyAsync($"gcm-{number}", new JsonWebKey { KeyType = KeyType.Oct, K = key });
            using var client = Vault.Keys.GetCryptographyClient($"gcm-{number}");
            var parameters = key.Length switch
            {
                16 => DecryptParameters.A128GcmParameters(Hex(vector, "ciphertext"), Hex(vector, "iv"), Hex(vector, "tag"), Hex(vector, "aad")),
                24 => DecryptParameters.A192GcmParameters(Hex(vector, "ciphertext"), Hex(vector, "iv"), Hex(vector, "tag"), Hex(vector, "aad")),
                _ => DecryptParameters.A256GcmParameters(Hex(vector, "ciphertext"), Hex(vector, "iv"), Hex(vector, "tag"), Hex(vector, "aad")),
            };

            client.Decrypt(parameters).Plaintext.Should().Equal(Hex(vector, "plaintext"), $"GCM test case {number}");
        }
    }

    [Fact]
    public async Task RS256_signs_RFC_7515_appendix_A2_exactly()
    {
        using var file = Vector("rfc7515-appendix-a.json");
        var vector = file.RootElement.GetProperty("rs256");
        var jwk = JsonSerializer.Deserialize<JsonWebKey>(vector.GetProperty("jwk").GetRawText())!;
        await Vault.Keys.ImportKeyAsync("rfc7515-a2", jwk);
        using var client = Vault.Keys.GetCryptographyClient("rfc7515-a2");
        var input = Encoding.ASCII.GetBytes(vector.GetProperty("signingInput").GetString()!);
        var expected = Base64Url.DecodeFromChars(vector.GetProperty("signature").GetString()!);

        client.SignData(SignatureAlgorithm.RS256, input).Signature.Should().Equal(expected, "PKCS#1 v1.5 signatures are deterministic");
        client.VerifyData(SignatureAlgorithm.RS256, input, expected).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task ES256_verifies_RFC_7515_appendix_A3_and_its_key_imports()
    {
        using var file = Vector("rfc7515-appendix-a.json");
        var vector = file.RootElement.GetProperty("es256");
        var jwk = JsonSerializer.Deserialize<JsonWebKey>(vector.GetProperty("jwk").GetRawText())!;
        var imported = await Vault.Keys.ImportKeyAsync("rfc7515-a3", jwk);
        using var client = Vault.Keys.GetCryptographyClient("rfc7515-a3");
        var input = Encoding.ASCII.GetBytes(vector.GetProperty("signingInput").GetString()!);
        var signature = Base64Url.DecodeFromChars(vector.GetProperty("signature").GetString()!);

        imported.Key.X.Should().Equal(jwk.X);
        client.VerifyData(SignatureAlgorithm.ES256, input, signature).IsValid.Should().BeTrue();
        client.VerifyData(SignatureAlgorithm.ES256, [.. input, (byte)'x'], signature).IsValid.Should().BeFalse();
        client.VerifyData(SignatureAlgorithm.ES256, input, client.SignData(SignatureAlgorithm.ES256, input).Signature).IsValid.Should().BeTrue();
    }

    private static JsonDocument Vector(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", name)));

    private static byte[] Hex(JsonElement element, string property) => Convert.FromHexString(element.GetProperty(property).GetString()!);
}
