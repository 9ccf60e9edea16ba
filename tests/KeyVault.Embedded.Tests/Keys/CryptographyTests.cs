using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Keys;

public sealed class CryptographyTests : VaultTestBase
{
    private IKeyStore KeyStore => Vault.Keys;

    public static TheoryData<string, string> Signatures => new()
    {
        { "RSA", "RS256" }, { "RSA", "RS384" }, { "RSA", "RS512" },
        { "RSA", "PS256" }, { "RSA", "PS384" }, { "RSA", "PS512" },
        { "P-256", "ES256" }, { "P-256K", "ES256K" }, { "P-384", "ES384" }, { "P-521", "ES512" },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Every_signature_algorithm_signs_and_verifies_digests_and_data(string key, string algorithm)
    {
        await CreateSigningKeyAsync("k", key);
        using var client = KeyStore.GetCryptographyClient("k");
        var alg = new SignatureAlgorithm(algorithm);
        var data = RandomNumberGenerator.GetBytes(100);

        var signed = await client.SignDataAsync(alg, data);
        var verified = await client.VerifyDataAsync(alg, data, signed.Signature);
        var tampered = await client.VerifyDataAsync(alg, [.. data, 0], signed.Signature);
        var viaStream = client.VerifyData(alg, new MemoryStream(data), client.SignData(alg, new MemoryStream(data)).Signature);

        verified.IsValid.Should().BeTrue();
        tampered.IsValid.Should().BeFalse();
        viaStream.IsValid.Should().BeTrue();
        signed.KeyId.Should().Be((await KeyStore.GetKeyAsync("k")).Id!.ToString());
        if (algorithm.StartsWith("ES", StringComparison.Ordinal))
        {
            signed.Signature.Length.Should().Be(2 * (algorithm == "ES512" ? 66 : algorithm == "ES384" ? 48 : 32), "JWS r||s");
        }

        // The public key alone verifies it too.
        using var local = new CryptographyClient((await KeyStore.GetKeyAsync("k")).Key);
        local.VerifyData(alg, data, signed.Signature).IsValid.Should().BeTrue();
    }

    public static TheoryData<string, int, string> Encryptions => new()
    {
        { "RSA", 2048, "RSA1_5" }, { "RSA", 2048, "RSA-OAEP" }, { "RSA", 2048, "RSA-OAEP-256" },
        { "oct", 128, "A128GCM" }, { "oct", 192, "A192GCM" }, { "oct", 256, "A256GCM" },
        { "oct", 128, "A128CBCPAD" }, { "oct", 192, "A192CBCPAD" }, { "oct", 256, "A256CBCPAD" },
    };

    [Theory]
    [MemberData(nameof(Encryptions))]
    public async Task Every_encryption_algorithm_round_trips(string kty, int size, string algorithm)
    {
        await CreateAsync("k", kty, size);
        using var client = KeyStore.GetCryptographyClient("k");
        var alg = new EncryptionAlgorithm(algorithm);
        var plaintext = RandomNumberGenerator.GetBytes(100);
        var aad = RandomNumberGenerator.GetBytes(20);

        var encrypted = algorithm.EndsWith("GCM", StringComparison.Ordinal)
            ? await client.EncryptAsync(GcmParameters(alg, plaintext, aad))
            : await client.EncryptAsync(alg, plaintext);
        var decrypted = await client.DecryptAsync(DecryptFor(encrypted));

        decrypted.Plaintext.Should().Equal(plaintext);
        encrypted.Ciphertext.Should().NotEqual(plaintext);
        decrypted.ToString().Should().Contain("***");
        if (algorithm.EndsWith("GCM", StringComparison.Ordinal))
        {
            encrypted.Iv.Should().HaveCount(12);
            encrypted.AuthenticationTag.Should().HaveCount(16);
            encrypted.AdditionalAuthenticatedData.Should().Equal(aad);
        }
    }

    [Theory]
    [InlineData("RSA", 2048, "RSA1_5", 32)]
    [InlineData("RSA", 2048, "RSA-OAEP", 32)]
    [InlineData("RSA", 2048, "RSA-OAEP-256", 32)]
    [InlineData("oct", 128, "A128KW", 16)]
    [InlineData("oct", 192, "A192KW", 24)]
    [InlineData("oct", 256, "A256KW", 32)]
    [InlineData("oct", 256, "A256KW", 64)]
    public async Task Every_key_wrap_algorithm_round_trips(string kty, int size, string algorithm, int keyLength)
    {
        await CreateAsync("k", kty, size);
        using var client = KeyStore.GetCryptographyClient("k");
        var alg = new KeyWrapAlgorithm(algorithm);
        var key = RandomNumberGenerator.GetBytes(keyLength);

        var wrapped = await client.WrapKeyAsync(alg, key);
        var unwrapped = await client.UnwrapKeyAsync(alg, wrapped.EncryptedKey);

        unwrapped.Key.Should().Equal(key);
        wrapped.EncryptedKey.Should().NotEqual(key);
        unwrapped.ToString().Should().Contain("***");
    }

    [Fact]
    public async Task Algorithms_that_do_not_suit_the_key_are_refused_by_name()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("ec"));
        await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("rsa"));
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("oct") { KeySize = 128 });
        using var ec = KeyStore.GetCryptographyClient("ec");
        using var rsa = KeyStore.GetCryptographyClient("rsa");
        using var oct = KeyStore.GetCryptographyClient("oct");

        AssertBad(() => ec.Sign(SignatureAlgorithm.ES384, new byte[48]), "P-384");
        AssertBad(() => ec.Sign(SignatureAlgorithm.RS256, new byte[32]), "RS256");
        AssertBad(() => ec.Sign(SignatureAlgorithm.ES256, new byte[20]), "32-byte");
        AssertBad(() => rsa.Sign(SignatureAlgorithm.ES256, new byte[32]), "ES256");
        AssertBad(() => rsa.Sign(SignatureAlgorithm.PS512, new byte[32]), "64-byte");
        AssertBad(() => rsa.Sign(new SignatureAlgorithm("HS256"), new byte[32]), "HS256");
        AssertBad(() => rsa.Encrypt(EncryptionAlgorithm.A128Gcm, [1]), "A128GCM");
        AssertBad(() => oct.Encrypt(EncryptionAlgorithm.A256Gcm, [1]), "256-bit");
        AssertBad(() => oct.WrapKey(KeyWrapAlgorithm.RsaOaep, new byte[16]), "RSA-OAEP");
        AssertBad(() => oct.WrapKey(KeyWrapAlgorithm.A128KW, new byte[10]), "RFC 3394");
        AssertBad(() => rsa.Encrypt(EncryptionAlgorithm.RsaOaep256, new byte[300]), "too long");
    }

    [Fact]
    public async Task A_GCM_IV_is_never_taken_from_the_caller_and_tampering_fails_decryption()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        using var client = KeyStore.GetCryptographyClient("k");
        var encrypted = client.Encrypt(EncryptParameters.A256GcmParameters([1, 2, 3, 4], [9, 9]));

        var again = client.Encrypt(EncryptParameters.A256GcmParameters([1, 2, 3, 4], [9, 9]));
        again.Iv.Should().NotEqual(encrypted.Iv, "every encryption gets a fresh IV");
        AssertBad(() => client.Decrypt(DecryptParameters.A256GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, [9, 8])), "decryption failed");
        AssertBad(() => client.Decrypt(DecryptParameters.A256GcmParameters([.. encrypted.Ciphertext[..^1], 0], encrypted.Iv!, encrypted.AuthenticationTag!, [9, 9])), "decryption failed");
        AssertBad(() => client.Decrypt(DecryptParameters.A256GcmParameters(encrypted.Ciphertext, encrypted.Iv!, new byte[16], [9, 9])), "decryption failed");
    }

    [Fact]
    public async Task Key_ops_restrict_what_a_key_may_do()
    {
        var options = new CreateRsaKeyOptions("k");
        options.KeyOperations.Add(KeyOperation.Verify);
        options.KeyOperations.Add(KeyOperation.Encrypt);
        await KeyStore.CreateRsaKeyAsync(options);
        using var client = KeyStore.GetCryptographyClient("k");

        AssertRefused(() => client.Sign(SignatureAlgorithm.RS256, new byte[32]), VaultErrorCode.OperationNotPermitted);
        AssertRefused(() => client.Decrypt(EncryptionAlgorithm.RsaOaep, new byte[256]), VaultErrorCode.OperationNotPermitted);
        client.Encrypt(EncryptionAlgorithm.RsaOaep, [1]).Ciphertext.Should().HaveCount(256);

        await KeyStore.UpdateKeyPropertiesAsync(new KeyProperties("k"), [KeyOperation.Sign]);
        client.Sign(SignatureAlgorithm.RS256, new byte[32]).Signature.Should().HaveCount(256, "the client follows the new key_ops at once");
        AssertRefused(() => client.Encrypt(EncryptionAlgorithm.RsaOaep, [1]), VaultErrorCode.OperationNotPermitted);
    }

    [Fact]
    public async Task A_disabled_key_does_nothing()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        using var client = KeyStore.GetCryptographyClient("k");
        var wrapped = client.WrapKey(KeyWrapAlgorithm.A256KW, new byte[32]);

        await KeyStore.UpdateKeyPropertiesAsync(new KeyProperties("k") { Enabled = false });

        AssertRefused(() => client.WrapKey(KeyWrapAlgorithm.A256KW, new byte[32]), VaultErrorCode.KeyDisabled);
        AssertRefused(() => client.UnwrapKey(KeyWrapAlgorithm.A256KW, wrapped.EncryptedKey), VaultErrorCode.KeyDisabled);
        (await KeyStore.GetKeyAsync("k")).Properties.Enabled.Should().BeFalse("a disabled key can still be read");
    }

    [Fact]
    public async Task Outside_its_validity_a_key_only_decrypts_unwraps_and_verifies()
    {
        var options = new CreateRsaKeyOptions("k") { NotBefore = Start.AddDays(1), ExpiresOn = Start.AddDays(10) };
        await KeyStore.CreateRsaKeyAsync(options);
        using var client = KeyStore.GetCryptographyClient("k");
        using var publicClient = new CryptographyClient((await KeyStore.GetKeyAsync("k")).Key);
        var digest = new byte[32];
        var ciphertext = publicClient.Encrypt(EncryptionAlgorithm.RsaOaep256, [7]).Ciphertext;
        var wrapped = publicClient.WrapKey(KeyWrapAlgorithm.RsaOaep256, new byte[32]).EncryptedKey;

        AssertRefused(() => client.Sign(SignatureAlgorithm.PS256, digest), VaultErrorCode.KeyNotYetValid);
        AssertRefused(() => client.Encrypt(EncryptionAlgorithm.RsaOaep256, [7]), VaultErrorCode.KeyNotYetValid);
        AssertRefused(() => client.WrapKey(KeyWrapAlgorithm.RsaOaep256, new byte[32]), VaultErrorCode.KeyNotYetValid);
        client.Decrypt(EncryptionAlgorithm.RsaOaep256, ciphertext).Plaintext.Should().Equal(7);
        client.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, wrapped).Key.Should().HaveCount(32);

        Time.Advance(TimeSpan.FromDays(2));
        var signature = client.Sign(SignatureAlgorithm.PS256, digest).Signature;

        Time.Advance(TimeSpan.FromDays(9));
        AssertRefused(() => client.Sign(SignatureAlgorithm.PS256, digest), VaultErrorCode.KeyExpired);
        AssertRefused(() => client.Encrypt(EncryptionAlgorithm.RsaOaep256, [7]), VaultErrorCode.KeyExpired);
        client.Verify(SignatureAlgorithm.PS256, digest, signature).IsValid.Should().BeTrue();
        client.Decrypt(EncryptionAlgorithm.RsaOaep256, ciphertext).Plaintext.Should().Equal(7);
        client.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, wrapped).Key.Should().HaveCount(32);
    }

    [Fact]
    public async Task A_client_follows_rotation_while_a_version_bound_client_stays()
    {
        var v1 = await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        using var latest = KeyStore.GetCryptographyClient("k");
        using var pinned = KeyStore.GetCryptographyClient("k", v1.Properties.Version);
        var digest = SHA256.HashData([1]);
        var before = latest.Sign(SignatureAlgorithm.ES256, digest);

        var v2 = await KeyStore.RotateKeyAsync("k");
        var after = latest.Sign(SignatureAlgorithm.ES256, digest);

        before.KeyId.Should().EndWith(v1.Properties.Version);
        after.KeyId.Should().EndWith(v2.Properties.Version);
        pinned.Verify(SignatureAlgorithm.ES256, digest, before.Signature).IsValid.Should().BeTrue();
        pinned.Verify(SignatureAlgorithm.ES256, digest, after.Signature).IsValid.Should().BeFalse("a new version is a new key");
        latest.Verify(SignatureAlgorithm.ES256, digest, after.Signature).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task A_deleted_key_stops_working_and_works_again_once_recovered()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        using var client = KeyStore.GetCryptographyClient("k");
        client.WrapKey(KeyWrapAlgorithm.A256KW, new byte[16]);

        await KeyStore.StartDeleteKeyAsync("k");
        FluentActions.Invoking(() => client.WrapKey(KeyWrapAlgorithm.A256KW, new byte[16])).Should().Throw<VaultObjectNotFoundException>();

        await KeyStore.StartRecoverDeletedKeyAsync("k");
        client.WrapKey(KeyWrapAlgorithm.A256KW, new byte[16]).EncryptedKey.Should().HaveCount(24);
    }

    [Fact]
    public async Task A_client_for_a_missing_key_fails_with_not_found_and_a_disposed_client_refuses()
    {
        using var missing = KeyStore.GetCryptographyClient("missing");
        FluentActions.Invoking(() => missing.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<VaultObjectNotFoundException>();

        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        var client = KeyStore.GetCryptographyClient("k");
        client.Sign(SignatureAlgorithm.ES256, new byte[32]);
        client.Dispose();
        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task A_public_key_client_does_public_operations_only()
    {
        var key = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k"));
        using var local = new CryptographyClient(key.Key);
        using var vault = KeyStore.GetCryptographyClient("k");

        var encrypted = local.Encrypt(EncryptionAlgorithm.RsaOaep256, [1, 2]);
        var wrapped = local.WrapKey(KeyWrapAlgorithm.RsaOaep, new byte[16]);

        vault.Decrypt(EncryptionAlgorithm.RsaOaep256, encrypted.Ciphertext).Plaintext.Should().Equal(1, 2);
        vault.UnwrapKey(KeyWrapAlgorithm.RsaOaep, wrapped.EncryptedKey).Key.Should().HaveCount(16);
        AssertBad(() => local.Decrypt(EncryptionAlgorithm.RsaOaep256, encrypted.Ciphertext), "private key");
        AssertBad(() => local.Sign(SignatureAlgorithm.RS256, new byte[32]), "private key");
    }

    [Fact]
    public void A_local_rsa_key_too_small_for_the_algorithm_is_a_bad_parameter_to_sign_and_verifies_nothing()
    {
        using var rsa = RSA.Create(512);
        using var local = new CryptographyClient(new JsonWebKey(rsa, includePrivateParameters: true));

        AssertBad(() => local.Sign(SignatureAlgorithm.RS512, new byte[64]), "too small");
        AssertBad(() => local.Sign(SignatureAlgorithm.PS384, new byte[48]), "too small");
        local.Verify(SignatureAlgorithm.PS512, new byte[64], new byte[64]).IsValid.Should().BeFalse();
        local.Verify(SignatureAlgorithm.RS256, new byte[32], local.Sign(SignatureAlgorithm.RS256, new byte[32]).Signature).IsValid.Should().BeTrue("what the key can do, it does");
    }

    [Fact]
    public async Task Many_threads_share_one_client()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("ec"));
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("oct"));
        using var ec = KeyStore.GetCryptographyClient("ec");
        using var oct = KeyStore.GetCryptographyClient("oct");
        var byVersion = new System.Collections.Concurrent.ConcurrentDictionary<string, CryptographyClient>();

        async Task RoundAsync(int i)
        {
            var digest = SHA256.HashData(BitConverter.GetBytes(i));
            var signature = await ec.SignAsync(SignatureAlgorithm.ES256, digest);
            (await ec.VerifyAsync(SignatureAlgorithm.ES256, digest, signature.Signature)).IsValid.Should().BeTrue();

            // The key rotates meanwhile: decrypt with the version that encrypted (the result names it), as with Azure.
            var encrypted = await oct.EncryptAsync(EncryptParameters.A256GcmParameters(digest));
            var decryptor = byVersion.GetOrAdd(encrypted.KeyId!, id => KeyStore.GetCryptographyClient("oct", id[(id.LastIndexOf('/') + 1)..]));
            (await decryptor.DecryptAsync(DecryptFor(encrypted))).Plaintext.Should().Equal(digest);
        }

        // One round on the first version, then sixteen threads while the key rotates three times; each thread goes on
        // until it has seen the rotations done and run one round after that (on the last version).
        await RoundAsync(-1);
        var rotating = Task.Run(async () =>
        {
            for (var r = 0; r < 3; r++)
            {
                await KeyStore.RotateKeyAsync("oct");
            }
        });
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (thread, _) =>
        {
            bool done;
            var i = 0;
            do
            {
                done = rotating.IsCompleted;
                await RoundAsync((thread * 100_000) + i++);
            }
            while (!done || i < 25);
        });
        await rotating;

        byVersion.Should().HaveCountGreaterThan(1, "encryptions spanned rotations");
        foreach (var client in byVersion.Values)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Closing_the_vault_stops_its_clients()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        var client = KeyStore.GetCryptographyClient("k");
        client.Sign(SignatureAlgorithm.ES256, new byte[32]);

        await Vault.DisposeAsync();

        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<ObjectDisposedException>();
        await ReopenAsync();
    }

    internal static EncryptParameters GcmParameters(EncryptionAlgorithm algorithm, byte[] plaintext, byte[] aad) => algorithm.Value switch
    {
        "A128GCM" => EncryptParameters.A128GcmParameters(plaintext, aad),
        "A192GCM" => EncryptParameters.A192GcmParameters(plaintext, aad),
        _ => EncryptParameters.A256GcmParameters(plaintext, aad),
    };

    internal static DecryptParameters DecryptFor(EncryptResult encrypted) => encrypted.Algorithm.Value switch
    {
        "A128GCM" => DecryptParameters.A128GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, encrypted.AdditionalAuthenticatedData),
        "A192GCM" => DecryptParameters.A192GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, encrypted.AdditionalAuthenticatedData),
        "A256GCM" => DecryptParameters.A256GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, encrypted.AdditionalAuthenticatedData),
        "A128CBCPAD" => DecryptParameters.A128CbcPadParameters(encrypted.Ciphertext, encrypted.Iv!),
        "A192CBCPAD" => DecryptParameters.A192CbcPadParameters(encrypted.Ciphertext, encrypted.Iv!),
        "A256CBCPAD" => DecryptParameters.A256CbcPadParameters(encrypted.Ciphertext, encrypted.Iv!),
        "RSA1_5" => DecryptParameters.Rsa15Parameters(encrypted.Ciphertext),
        "RSA-OAEP" => DecryptParameters.RsaOaepParameters(encrypted.Ciphertext),
        _ => DecryptParameters.RsaOaep256Parameters(encrypted.Ciphertext),
    };

    private Task<KeyVaultKey> CreateSigningKeyAsync(string name, string key) => key == "RSA"
        ? KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions(name))
        : KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions(name) { CurveName = new KeyCurveName(key) });

    private Task<KeyVaultKey> CreateAsync(string name, string kty, int size) => kty == "RSA"
        ? KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions(name) { KeySize = size })
        : KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions(name) { KeySize = size });

    private static void AssertBad(Action act, string mention)
    {
        var error = act.Should().Throw<VaultException>().Which;
        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain(mention);
    }

    private static void AssertRefused(Action act, VaultErrorCode code)
    {
        var error = act.Should().Throw<VaultException>().Which;
        error.ErrorCode.Should().Be(code);
        error.Status.Should().Be(403);
    }
}
