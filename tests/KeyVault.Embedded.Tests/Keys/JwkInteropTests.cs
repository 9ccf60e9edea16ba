using System.Security.Cryptography;
using System.Text.Json;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;
using IdentityModel = Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Tests.Keys;

/// <summary>
/// The vault's JSON Web Keys in RFC 7517's wire form, both ways, checked against a JOSE implementation that is not
/// ours (Microsoft.IdentityModel.Tokens): it reads our keys and verifies the vault's signatures; we read its keys,
/// import them and sign what it verifies.
/// </summary>
public sealed class JwkInteropTests : VaultTestBase
{
    [Fact]
    public async Task Our_JSON_is_RFC_7517_and_an_outside_JOSE_library_verifies_the_vaults_signature_with_it()
    {
        var key = await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signer") { KeyOperations = { KeyOperation.Sign, KeyOperation.Verify } });
        var jwk = key.Key;
        jwk.Id = null;

        var json = JsonSerializer.Serialize(jwk);

        using (var document = JsonDocument.Parse(json))
        {
            var root = document.RootElement;
            root.GetProperty("kty").GetString().Should().Be("EC");
            root.GetProperty("crv").GetString().Should().Be("P-256");
            root.GetProperty("key_ops").EnumerateArray().Select(o => o.GetString()).Should().Equal("sign", "verify");
            root.TryGetProperty("kid", out _).Should().BeFalse("absent members are omitted, not null");
            root.TryGetProperty("d", out _).Should().BeFalse();
            root.GetProperty("x").GetString().Should().NotContain("=").And.NotContain("+").And.NotContain("/");
        }

        var theirs = new IdentityModel.JsonWebKey(json);
        var data = "signed by the vault"u8.ToArray();
        using var client = Vault.Keys.GetCryptographyClient("signer");
        var signature = (await client.SignDataAsync(SignatureAlgorithm.ES256, data)).Signature;
        var verifier = theirs.CryptoProviderFactory.CreateForVerifying(theirs, IdentityModel.SecurityAlgorithms.EcdsaSha256);
        verifier.Verify(data, signature).Should().BeTrue("the outside library reads our key and verifies the vault's ES256 signature");
        JsonSerializer.Deserialize<JsonWebKey>(json)!.X.Should().Equal(jwk.X, "and our own JSON reads back");
        JsonSerializer.Serialize(jwk, JsonWebKeyJsonContext.Default.JsonWebKey).Should().Be(json, "the generated metadata (trimmed and AOT apps) writes the same JSON");
        JsonSerializer.Deserialize(json, JsonWebKeyJsonContext.Default.JsonWebKey)!.KeyOps.Should().Equal(jwk.KeyOps);
    }

    [Fact]
    public async Task We_read_an_outside_libraries_JWK_import_it_and_sign_what_it_verifies()
    {
        using var rsa = RSA.Create(2048);
        var theirs = IdentityModel.JsonWebKeyConverter.ConvertFromRSASecurityKey(new IdentityModel.RsaSecurityKey(rsa));
        theirs.KeyOps.Add("sign");
        theirs.KeyOps.Add("verify");
        // Their members (their base64url encodings), in a standard JWK document with key_ops as strings.
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["kty"] = theirs.Kty, ["n"] = theirs.N, ["e"] = theirs.E, ["d"] = theirs.D, ["p"] = theirs.P, ["q"] = theirs.Q,
            ["dp"] = theirs.DP, ["dq"] = theirs.DQ, ["qi"] = theirs.QI, ["key_ops"] = theirs.KeyOps,
        });

        var ours = JsonSerializer.Deserialize<JsonWebKey>(json)!;
        ours.KeyType.Should().Be(KeyType.Rsa);
        ours.KeyOps.Should().Equal(KeyOperation.Sign, KeyOperation.Verify);
        ours.D.Should().NotBeNull("the private members come across");
        await Vault.Keys.ImportKeyAsync("imported", ours);

        var data = "signed in the vault"u8.ToArray();
        using var client = Vault.Keys.GetCryptographyClient("imported");
        var signature = (await client.SignDataAsync(SignatureAlgorithm.RS256, data)).Signature;
        var publicOnly = IdentityModel.JsonWebKeyConverter.ConvertFromRSASecurityKey(new IdentityModel.RsaSecurityKey(rsa.ExportParameters(false)));
        publicOnly.CryptoProviderFactory.CreateForVerifying(publicOnly, IdentityModel.SecurityAlgorithms.RsaSha256).Verify(data, signature).Should().BeTrue();
    }

    [Fact]
    public async Task The_JOSE_curve_name_secp256k1_imports_as_P_256K()
    {
        using var ecdsa = ECDsa.Create(ECCurve.CreateFromValue("1.3.132.0.10"));
        var parameters = ecdsa.ExportParameters(true);
        var json = $$"""{"kty":"EC","crv":"secp256k1","key_ops":["sign","verify"],"x":"{{B64(parameters.Q.X!)}}","y":"{{B64(parameters.Q.Y!)}}","d":"{{B64(parameters.D!)}}"}""";

        var imported = await Vault.Keys.ImportKeyAsync("k1", JsonSerializer.Deserialize<JsonWebKey>(json)!);

        imported.Key.CurveName.Should().Be(KeyCurveName.P256K);
        var data = "x"u8.ToArray();
        using var client = Vault.Keys.GetCryptographyClient("k1");
        var signature = (await client.SignDataAsync(SignatureAlgorithm.ES256K, data)).Signature;
        ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256).Should().BeTrue();

        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    [Fact]
    public async Task An_rsa_jwk_whose_members_carry_leading_zero_bytes_imports_and_signs()
    {
        // Azure's JavaScript SDK's import test sends such a key: each member of n, p, q, dp, dq and qi with a 0x00 first.
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(true);
        static byte[] Zero(byte[] value) => [0, .. value];
        var jwk = new JsonWebKey
        {
            KeyType = KeyType.Rsa,
            KeyOps = [KeyOperation.Sign, KeyOperation.Verify],
            N = Zero(p.Modulus!),
            E = p.Exponent,
            D = p.D,
            P = Zero(p.P!),
            Q = Zero(p.Q!),
            DP = Zero(p.DP!),
            DQ = Zero(p.DQ!),
            QI = Zero(p.InverseQ!),
        };

        var imported = await Vault.Keys.ImportKeyAsync("zeros", jwk);

        imported.Key.N.Should().Equal(p.Modulus, "stored without the leading zero");
        var digest = SHA256.HashData("x"u8);
        using var client = Vault.Keys.GetCryptographyClient("zeros");
        rsa.VerifyHash(digest, (await client.SignAsync(SignatureAlgorithm.RS256, digest)).Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();

        // A member longer than its place is still refused, and nothing is written.
        jwk.P = [1, .. p.P!];
        await FluentActions.Awaiting(() => Vault.Keys.ImportKeyAsync("too-long", jwk)).Should().ThrowAsync<VaultException>().WithMessage("*member p is too long*");
        await FluentActions.Awaiting(() => Vault.Keys.GetKeyAsync("too-long")).Should().ThrowAsync<VaultObjectNotFoundException>();
    }

    [Fact]
    public void A_vault_exception_shows_its_code_and_status()
    {
        var error = new VaultException(VaultErrorCode.SecretNotFound, 404, "Secret 'x' was not found in this vault.");
        error.ToString().Should().StartWith("KeyVault.Embedded.VaultException: SecretNotFound (404): Secret 'x' was not found");
        new VaultException(VaultErrorCode.Forbidden, 403, "no") { InnerErrorCode = VaultErrorCode.ForbiddenByRbac }.ToString().Should().Contain("Forbidden/ForbiddenByRbac (403): no");
    }
}
