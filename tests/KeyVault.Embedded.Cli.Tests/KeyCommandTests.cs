using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

public sealed class KeyCommandTests
{
    [Fact]
    public async Task An_EC_signature_from_kv_verifies_with_dotnet_ECDsa_on_the_public_key_from_key_show()
    {
        using var home = await VaultHome.CreateAsync();
        var created = (await home.OkAsync("key", "create", "--name", "release-signing", "--kty", "EC", "--curve", "P-256", "--ops", "sign", "verify"))!;
        created["kty"]!.GetValue<string>().Should().Be("EC");

        var shown = (await home.OkAsync("key", "show", "--name", "release-signing"))!;
        var jwk = shown["key"]!;
        jwk["d"].Should().BeNull("key show returns the public key only");
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url(jwk["x"]!.GetValue<string>()), Y = Base64Url(jwk["y"]!.GetValue<string>()) },
        });

        var data = "release-1.2.3.tar.gz"u8.ToArray();
        var digest = SHA256.HashData(data);
        var signed = (await home.OkAsync("key", "sign", "--name", "release-signing", "--alg", "ES256", "--digest", Convert.ToBase64String(digest)))!;
        var signature = Convert.FromBase64String(signed["signature"]!.GetValue<string>());
        ecdsa.VerifyHash(digest, signature).Should().BeTrue("ES256 is the JWS r||s form .NET verifies");

        var dataFile = home.PathOf("release.tar.gz");
        await File.WriteAllBytesAsync(dataFile, data);
        var signedData = (await home.OkAsync("key", "sign", "-n", "release-signing", "--alg", "ES256", "--file", dataFile))!;
        ecdsa.VerifyData(data, Convert.FromBase64String(signedData["signature"]!.GetValue<string>()), HashAlgorithmName.SHA256).Should().BeTrue();

        var verified = (await home.OkAsync("key", "verify", "-n", "release-signing", "--alg", "ES256", "--digest", Convert.ToBase64String(digest),
            "--signature", Convert.ToBase64String(signature)))!;
        verified["isValid"]!.GetValue<bool>().Should().BeTrue();
        signature[0] ^= 1;
        var forged = (await home.OkAsync("key", "verify", "-n", "release-signing", "--alg", "ES256", "--digest", Convert.ToBase64String(digest),
            "--signature", Convert.ToBase64String(signature)))!;
        forged["isValid"]!.GetValue<bool>().Should().BeFalse();
    }

    [Fact]
    public async Task RSA_encrypt_and_decrypt_and_AES_wrap_and_unwrap_round_trip()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("key", "create", "-n", "rsa", "--kty", "RSA", "--size", "2048");
        await home.OkAsync("key", "create", "-n", "kek", "--kty", "oct", "--size", "256");
        var plaintext = Encoding.UTF8.GetBytes("a data key");

        var encrypted = (await home.OkAsync("key", "encrypt", "-n", "rsa", "--alg", "RSA-OAEP-256", "--value", Convert.ToBase64String(plaintext)))!;
        var decrypted = (await home.OkAsync("key", "decrypt", "-n", "rsa", "--alg", "RSA-OAEP-256", "--value", encrypted["result"]!.GetValue<string>()))!;
        Convert.FromBase64String(decrypted["result"]!.GetValue<string>()).Should().Equal(plaintext);

        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = (await home.OkAsync("key", "wrap", "-n", "kek", "--alg", "A256KW", "--value", Convert.ToBase64String(key)))!;
        Convert.FromBase64String(wrapped["result"]!.GetValue<string>()).Should().HaveCount(40);
        var unwrapped = (await home.OkAsync("key", "unwrap", "-n", "kek", "--alg", "A256KW", "--value", wrapped["result"]!.GetValue<string>()))!;
        Convert.FromBase64String(unwrapped["result"]!.GetValue<string>()).Should().Equal(key);
    }

    [Fact]
    public async Task A_key_rotates_to_a_new_version_and_keeps_its_rotation_policy()
    {
        using var home = await VaultHome.CreateAsync();
        var first = (await home.OkAsync("key", "create", "-n", "rotating", "--kty", "EC"))!["version"]!.GetValue<string>();

        var policy = (await home.OkAsync("key", "rotation-policy", "set", "-n", "rotating", "--expires-in", "P90D", "--rotate-after-create", "P60D"))!;
        policy["expiresIn"]!.GetValue<string>().Should().Be("P90D");
        (await home.OkAsync("key", "rotation-policy", "show", "-n", "rotating"))!["lifetimeActions"]![0]!["timeAfterCreate"]!.GetValue<string>().Should().Be("P60D");

        var rotated = (await home.OkAsync("key", "rotate", "-n", "rotating"))!;
        rotated["version"]!.GetValue<string>().Should().NotBe(first);
        (await home.OkAsync("key", "list-versions", "-n", "rotating"))!.AsArray().Should().HaveCount(2);
    }

    private static byte[] Base64Url(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '='));

    [Fact]
    public async Task A_PEM_private_key_from_openssl_imports_and_signs_for_its_public_key()
    {
        using var home = await VaultHome.CreateAsync();
        var pem = home.PathOf("imported.pem");
        var made = KeyVault.Embedded.Tests.Support.OpenSsl.Run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pem);
        made.ExitCode.Should().Be(0, made.Output);

        var imported = (await home.OkAsync("key", "import", "-n", "imported", "-f", pem))!;
        imported["kty"]!.GetValue<string>().Should().Be("EC");
        imported["key"]!["d"].Should().BeNull("the private part never comes back");

        var digest = SHA256.HashData("imported data"u8);
        var signed = (await home.OkAsync("key", "sign", "-n", "imported", "--alg", "ES256", "--digest", Convert.ToBase64String(digest)))!;
        using var outside = ECDsa.Create();
        outside.ImportFromPem(await File.ReadAllTextAsync(pem));
        outside.VerifyHash(digest, Convert.FromBase64String(signed["signature"]!.GetValue<string>())).Should().BeTrue("the vault signs with the imported key");

        var garbage = home.PathOf("garbage.pem");
        await File.WriteAllTextAsync(garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        var refused = await home.RunAsync("key", "import", "-n", "garbage", "-f", garbage);
        refused.ExitCode.Should().Be(6, refused.ToString());
        refused.Stderr.Should().StartWith("ERROR: (BadParameter)");
    }
}
