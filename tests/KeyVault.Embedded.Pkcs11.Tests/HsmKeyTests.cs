using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Tests.Support;
using Net.Pkcs11Interop.Common;

namespace KeyVault.Embedded.Pkcs11.Tests;

[Collection(SoftHsmCollection.Name)]
public sealed class HsmKeyTests : IAsyncLifetime
{
    private readonly SoftHsm _hsm;
    private readonly TempDirectory _dir = new();
    private Pkcs11RootKey _root = null!;
    private string _token = null!;
    private EmbeddedVault _vault = null!;

    public HsmKeyTests(SoftHsm hsm)
    {
        _hsm = hsm;
    }

    private IKeyStore KeyStore => _vault.Keys;

    public async Task InitializeAsync()
    {
        _token = _hsm.SharedToken;
        _root = new Pkcs11RootKey(SoftHsm.Options(_token));
        _vault = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _root.Dispose();
        _dir.Dispose();
    }

    public static TheoryData<string, int?, string?> HsmShapes => new()
    {
        { "RSA-HSM", 2048, null },
        { "RSA-HSM", 3072, null },
        { "EC-HSM", null, "P-256" },
        { "EC-HSM", null, "P-384" },
        { "EC-HSM", null, "P-521" },
        { "EC-HSM", null, "P-256K" },
        { "oct-HSM", 128, null },
        { "oct-HSM", 256, null },
    };

    [Theory]
    [MemberData(nameof(HsmShapes))]
    public async Task Token_keys_are_generated_in_the_token_sensitive_non_extractable_and_labelled(string kty, int? size, string? curve)
    {
        var key = await CreateAsync("k", kty, size, curve);

        key.KeyType.Should().Be(new KeyType(kty));
        key.Key.HasPrivateKey.Should().BeFalse();
        var label = $"kve:{_vault.Properties.VaultId:N}:k:{key.Properties.Version}";
        SoftHsm.InToken(_token, session =>
        {
            var objects = session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_ID, Convert.FromHexString(key.Properties.Version!))]);
            objects.Should().HaveCount(kty == "oct-HSM" ? 1 : 2, "a secret key, or a private and a public key");
            foreach (var handle in objects)
            {
                var values = session.GetAttributeValue(handle, [CKA.CKA_CLASS, CKA.CKA_LABEL]);
                values[1].GetValueAsString().Should().Be(label);
                if (values[0].GetValueAsUlong() == (ulong)CKO.CKO_PUBLIC_KEY)
                {
                    continue;
                }

                var secret = kty == "RSA-HSM" ? CKA.CKA_PRIVATE_EXPONENT : CKA.CKA_VALUE;
                var state = session.GetAttributeValue(handle, [secret, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
                state[0].CannotBeRead.Should().BeTrue("the token refuses to reveal the private or secret value");
                state[1].GetValueAsBool().Should().BeFalse();
                state[2].GetValueAsBool().Should().BeTrue();
            }

            return true;
        });
    }

    [Fact]
    public async Task An_RSA_4096_token_key_can_be_created()
    {
        (await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("big", hardwareProtected: true) { KeySize = 4096 })).Key.N!.Length.Should().Be(512);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("RS512")]
    [InlineData("PS256")]
    [InlineData("PS384")]
    [InlineData("PS512")]
    public async Task RSA_token_keys_sign_in_the_token_and_the_public_key_verifies(string algorithm)
    {
        var key = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k", hardwareProtected: true));
        using var client = KeyStore.GetCryptographyClient("k");
        var data = RandomNumberGenerator.GetBytes(300);

        var signature = client.SignData(new SignatureAlgorithm(algorithm), data).Signature;

        using var publicKey = key.Key.ToRSA();
        var info = algorithm.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        var hash = new HashAlgorithmName("SHA" + algorithm[2..]);
        publicKey.VerifyData(data, signature, hash, info).Should().BeTrue();
        client.VerifyData(new SignatureAlgorithm(algorithm), data, signature).IsValid.Should().BeTrue();
    }

    [Theory]
    [InlineData("P-256", "ES256")]
    [InlineData("P-384", "ES384")]
    [InlineData("P-521", "ES512")]
    [InlineData("P-256K", "ES256K")]
    public async Task EC_token_keys_sign_r_s_signatures_in_the_token(string curve, string algorithm)
    {
        var key = await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k", hardwareProtected: true) { CurveName = new KeyCurveName(curve) });
        using var client = KeyStore.GetCryptographyClient("k");
        var data = RandomNumberGenerator.GetBytes(100);

        var signature = client.SignData(new SignatureAlgorithm(algorithm), data).Signature;

        using var publicKey = key.Key.ToECDsa();
        publicKey.VerifyData(data, signature, new HashAlgorithmName("SHA" + (algorithm == "ES256K" ? "256" : algorithm[2..]))).Should().BeTrue();
        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.RS256, new byte[32])).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
    }

    [Fact]
    public async Task RSA_token_keys_decrypt_and_unwrap_in_the_token()
    {
        var key = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k", hardwareProtected: true));
        using var client = KeyStore.GetCryptographyClient("k");
        using var publicKey = key.Key.ToRSA();
        var secret = RandomNumberGenerator.GetBytes(32);

        client.Decrypt(EncryptionAlgorithm.RsaOaep, publicKey.Encrypt(secret, RSAEncryptionPadding.OaepSHA1)).Plaintext.Should().Equal(secret);
        client.Decrypt(EncryptionAlgorithm.Rsa15, publicKey.Encrypt(secret, RSAEncryptionPadding.Pkcs1)).Plaintext.Should().Equal(secret);
        client.UnwrapKey(KeyWrapAlgorithm.RsaOaep, client.WrapKey(KeyWrapAlgorithm.RsaOaep, secret).EncryptedKey).Key.Should().Equal(secret);
        FluentActions.Invoking(() => client.Decrypt(EncryptionAlgorithm.RsaOaep, new byte[256])).Should().Throw<VaultException>()
            .Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
    }

    [Fact]
    public async Task An_algorithm_the_token_lacks_is_a_typed_error_naming_the_mechanism()
    {
        // SoftHSM 2.6.1 does OAEP with SHA-1 only: its mechanism list names CKM_RSA_PKCS_OAEP but not the hashes.
        var key = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k", hardwareProtected: true));
        using var client = KeyStore.GetCryptographyClient("k");
        using var publicKey = key.Key.ToRSA();

        var error = FluentActions.Invoking(() => client.Decrypt(EncryptionAlgorithm.RsaOaep256, publicKey.Encrypt([1], RSAEncryptionPadding.OaepSHA256)))
            .Should().Throw<VaultException>().Which;

        error.ErrorCode.Should().Be(Pkcs11ErrorCodes.MechanismNotSupported);
        error.Message.Should().Contain("CKM_RSA_PKCS_OAEP").And.Contain("SHA256");
        client.Encrypt(EncryptionAlgorithm.RsaOaep256, [1]).Ciphertext.Should().HaveCount(256, "encryption uses the public key in software");
    }

    [Theory]
    [InlineData(128, "A128GCM")]
    [InlineData(256, "A256GCM")]
    [InlineData(128, "A128CBCPAD")]
    [InlineData(256, "A256CBCPAD")]
    public async Task AES_token_keys_encrypt_and_decrypt_in_the_token(int size, string algorithm)
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k", hardwareProtected: true) { KeySize = size });
        using var client = KeyStore.GetCryptographyClient("k");
        var plaintext = RandomNumberGenerator.GetBytes(200);
        var alg = new EncryptionAlgorithm(algorithm);

        var encrypted = algorithm.EndsWith("GCM", StringComparison.Ordinal)
            ? client.Encrypt(size == 128 ? EncryptParameters.A128GcmParameters(plaintext, [7]) : EncryptParameters.A256GcmParameters(plaintext, [7]))
            : client.Encrypt(alg, plaintext);
        var decrypt = DecryptFor(encrypted);

        client.Decrypt(decrypt).Plaintext.Should().Equal(plaintext);
        if (encrypted.AuthenticationTag is { } tag)
        {
            tag[0] ^= 1;
            FluentActions.Invoking(() => client.Decrypt(decrypt)).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        }
    }

    [Fact]
    public async Task AES_token_keys_wrap_and_unwrap_keys_in_the_token()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k", hardwareProtected: true));
        using var client = KeyStore.GetCryptographyClient("k");
        var key = RandomNumberGenerator.GetBytes(32);

        var wrapped = client.WrapKey(KeyWrapAlgorithm.A256KW, key).EncryptedKey;

        wrapped.Should().HaveCount(40);
        client.UnwrapKey(KeyWrapAlgorithm.A256KW, wrapped).Key.Should().Equal(key);
        wrapped[3] ^= 1;
        FluentActions.Invoking(() => client.UnwrapKey(KeyWrapAlgorithm.A256KW, wrapped)).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        FluentActions.Invoking(() => client.WrapKey(KeyWrapAlgorithm.A128KW, key)).Should().Throw<VaultException>().Which.Message.Should().Contain("128-bit");
    }

    [Fact]
    public async Task The_key_rules_apply_to_token_keys_unchanged()
    {
        var options = new CreateEcKeyOptions("k", hardwareProtected: true) { ExpiresOn = DateTimeOffset.UtcNow.AddDays(-1) };
        options.KeyOperations.Add(KeyOperation.Sign);
        options.KeyOperations.Add(KeyOperation.Verify);
        await KeyStore.CreateEcKeyAsync(options);
        using var client = KeyStore.GetCryptographyClient("k");

        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.KeyExpired);
        await KeyStore.UpdateKeyPropertiesAsync(new KeyProperties("k") { ExpiresOn = DateTimeOffset.UtcNow.AddDays(30), Enabled = false });
        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.KeyDisabled);
        await KeyStore.UpdateKeyPropertiesAsync(new KeyProperties("k") { Enabled = true }, [KeyOperation.Verify]);
        FluentActions.Invoking(() => client.Sign(SignatureAlgorithm.ES256, new byte[32])).Should().Throw<VaultException>().Which.ErrorCode.Should().Be(VaultErrorCode.OperationNotPermitted);
        await FluentActions.Awaiting(() => KeyStore.ImportKeyAsync("imported", new JsonWebKey(ECDsa.Create(), true) { KeyType = KeyType.EcHsm })).Should().ThrowAsync<VaultException>();
    }

    [Fact]
    public async Task Soft_delete_keeps_the_token_objects_and_purge_destroys_them()
    {
        var v1 = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k", hardwareProtected: true));
        var v2 = await KeyStore.RotateKeyAsync("k");
        v2.KeyType.Should().Be(KeyType.RsaHsm, "rotation makes a new token key");
        var ids = new[] { v1, v2 }.Select(k => Convert.FromHexString(k.Properties.Version!)).ToList();
        int TokenObjects() => SoftHsm.InToken(_token, session => ids.Sum(id => session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_ID, id)]).Count));
        TokenObjects().Should().Be(4);

        await KeyStore.StartDeleteKeyAsync("k");
        TokenObjects().Should().Be(4, "a soft-deleted key can be recovered");
        await KeyStore.StartRecoverDeletedKeyAsync("k");
        using (var client = KeyStore.GetCryptographyClient("k"))
        {
            client.Sign(SignatureAlgorithm.RS256, new byte[32]).Signature.Should().HaveCount(256);
        }

        await KeyStore.StartDeleteKeyAsync("k");
        await KeyStore.PurgeDeletedKeyAsync("k");

        TokenObjects().Should().Be(0, "purge destroys the key in the token");
    }

    [Fact]
    public async Task Token_keys_work_again_after_the_vault_is_reopened_in_this_and_another_process()
    {
        var key = await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k", hardwareProtected: true));
        await _vault.DisposeAsync();
        _vault = await OpenAsync();
        var digest = SHA256.HashData([42]);
        using (var client = KeyStore.GetCryptographyClient("k"))
        {
            client.Verify(SignatureAlgorithm.ES256, digest, client.Sign(SignatureAlgorithm.ES256, digest).Signature).IsValid.Should().BeTrue();
        }

        await _vault.DisposeAsync();
        string signatureHex;
        using (var child = ChildProcess.Start("hsm-sign", _dir.File("vault.db"), SoftHsm.ModulePath, _token, SoftHsm.UserPin, "vault-root", "k", Convert.ToHexString(digest)))
        {
            signatureHex = child.ExpectLine();
            child.WaitForExit(TimeSpan.FromSeconds(60)).Should().BeTrue();
            child.ExitCode.Should().Be(0);
        }

        _vault = await OpenAsync();
        using var publicKey = key.Key.ToECDsa();
        publicKey.VerifyHash(digest, Convert.FromHexString(signatureHex)).Should().BeTrue("another process signed with the same token key");
    }

    [Fact]
    public async Task Many_threads_sign_and_unwrap_through_one_vault()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("ec", hardwareProtected: true));
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("oct", hardwareProtected: true));
        using var ec = KeyStore.GetCryptographyClient("ec");
        using var oct = KeyStore.GetCryptographyClient("oct");
        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = oct.WrapKey(KeyWrapAlgorithm.A256KW, key).EncryptedKey;

        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var digest = SHA256.HashData(BitConverter.GetBytes(i));
            var signature = await ec.SignAsync(SignatureAlgorithm.ES256, digest);
            (await ec.VerifyAsync(SignatureAlgorithm.ES256, digest, signature.Signature)).IsValid.Should().BeTrue();
            (await oct.UnwrapKeyAsync(KeyWrapAlgorithm.A256KW, wrapped)).Key.Should().Equal(key);
        });
    }

    [Fact]
    public async Task The_root_cannot_leave_the_token_while_token_keys_remain()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k", hardwareProtected: true));

        var error = (await FluentActions.Awaiting(() => _vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()))).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain("cannot leave");
        await KeyStore.StartDeleteKeyAsync("k");
        await KeyStore.PurgeDeletedKeyAsync("k");
        await _vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()));
    }

    private Task<EmbeddedVault> OpenAsync() =>
        EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("vault.db"), RootKey = _root });

    private Task<KeyVaultKey> CreateAsync(string name, string kty, int? size, string? curve) => kty switch
    {
        "RSA-HSM" => KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions(name, hardwareProtected: true) { KeySize = size }),
        "EC-HSM" => KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions(name, hardwareProtected: true) { CurveName = new KeyCurveName(curve!) }),
        _ => KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions(name, hardwareProtected: true) { KeySize = size }),
    };

    private static DecryptParameters DecryptFor(EncryptResult encrypted) => encrypted.Algorithm.Value switch
    {
        "A128GCM" => DecryptParameters.A128GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, encrypted.AdditionalAuthenticatedData),
        "A256GCM" => DecryptParameters.A256GcmParameters(encrypted.Ciphertext, encrypted.Iv!, encrypted.AuthenticationTag!, encrypted.AdditionalAuthenticatedData),
        "A128CBCPAD" => DecryptParameters.A128CbcPadParameters(encrypted.Ciphertext, encrypted.Iv!),
        _ => DecryptParameters.A256CbcPadParameters(encrypted.Ciphertext, encrypted.Iv!),
    };
}
