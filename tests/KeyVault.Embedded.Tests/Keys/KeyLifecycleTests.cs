using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Keys;

public sealed class KeyLifecycleTests : VaultTestBase
{
    private IKeyStore KeyStore => Vault.Keys;

    public static TheoryData<string, int?, string?> KeyShapes => new()
    {
        { "RSA", 2048, null },
        { "RSA", 3072, null },
        { "EC", null, "P-256" },
        { "EC", null, "P-256K" },
        { "EC", null, "P-384" },
        { "EC", null, "P-521" },
        { "oct", 128, null },
        { "oct", 192, null },
        { "oct", 256, null },
    };

    [Theory]
    [MemberData(nameof(KeyShapes))]
    public async Task Created_keys_return_their_public_part_only(string kty, int? size, string? curve)
    {
        var created = await CreateAsync("k", kty, size, curve);
        var read = await KeyStore.GetKeyAsync("k");

        foreach (var key in new[] { created, read })
        {
            key.KeyType.Should().Be(new KeyType(kty));
            key.Key.D.Should().BeNull();
            key.Key.K.Should().BeNull("symmetric material never leaves the vault");
            key.Key.P.Should().BeNull();
            key.Key.HasPrivateKey.Should().BeFalse();
            key.Key.Id.Should().Be(key.Id!.ToString());
            key.Properties.Version.Should().MatchRegex("^[0-9a-f]{32}$");
        }

        if (kty == "RSA")
        {
            read.Key.N!.Length.Should().Be(size!.Value / 8);
            read.Key.E.Should().Equal(1, 0, 1);
            read.KeyOperations.Should().BeEquivalentTo([KeyOperation.Encrypt, KeyOperation.Decrypt, KeyOperation.Sign, KeyOperation.Verify, KeyOperation.WrapKey, KeyOperation.UnwrapKey]);
        }
        else if (kty == "EC")
        {
            read.Key.CurveName.Should().Be(new KeyCurveName(curve!));
            read.Key.X.Should().NotBeNull();
            read.KeyOperations.Should().BeEquivalentTo([KeyOperation.Sign, KeyOperation.Verify]);
        }
        else
        {
            read.Key.N.Should().BeNull();
            read.Key.X.Should().BeNull();
            read.KeyOperations.Should().BeEquivalentTo([KeyOperation.Encrypt, KeyOperation.Decrypt, KeyOperation.WrapKey, KeyOperation.UnwrapKey]);
        }
    }

    [Fact]
    public async Task An_RSA_4096_key_can_be_created()
    {
        var key = await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("big") { KeySize = 4096 });
        key.Key.N!.Length.Should().Be(512);
    }

    [Fact]
    public async Task CreateKeyAsync_uses_the_default_size_or_curve_of_each_type()
    {
        (await KeyStore.CreateKeyAsync("r", KeyType.Rsa)).Key.N!.Length.Should().Be(256);
        (await KeyStore.CreateKeyAsync("e", KeyType.Ec)).Key.CurveName.Should().Be(KeyCurveName.P256);
        (await KeyStore.CreateKeyAsync("o", KeyType.Oct)).KeyType.Should().Be(KeyType.Oct);
    }

    public static TheoryData<string, Func<IKeyStore, Task>> InvalidCreations => new()
    {
        { "RSA 1024", s => s.CreateRsaKeyAsync(new CreateRsaKeyOptions("bad") { KeySize = 1024 }) },
        { "exponent 3", s => s.CreateRsaKeyAsync(new CreateRsaKeyOptions("bad") { PublicExponent = 3 }) },
        { "oct 100", s => s.CreateOctKeyAsync(new CreateOctKeyOptions("bad") { KeySize = 100 }) },
        { "curve P-192", s => s.CreateEcKeyAsync(new CreateEcKeyOptions("bad") { CurveName = new KeyCurveName("P-192") }) },
        { "unknown type", s => s.CreateKeyAsync("bad", new KeyType("DSA")) },
        { "EC with encrypt", s => s.CreateEcKeyAsync(Ops(new CreateEcKeyOptions("bad"), KeyOperation.Encrypt)) },
        { "oct with sign", s => s.CreateOctKeyAsync(Ops(new CreateOctKeyOptions("bad"), KeyOperation.Sign)) },
        { "RSA-HSM without a token", s => s.CreateRsaKeyAsync(new CreateRsaKeyOptions("bad", hardwareProtected: true)) },
        { "bad name", s => s.CreateKeyAsync("bad name", KeyType.Ec) },
    };

    [Theory]
    [MemberData(nameof(InvalidCreations))]
    public async Task Invalid_creations_are_refused_and_write_nothing(string rule, Func<IKeyStore, Task> create)
    {
        var error = (await FluentActions.Awaiting(() => create(KeyStore)).Should().ThrowAsync<VaultException>(rule)).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        (await KeyStore.GetPropertiesOfKeysAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Keys_import_from_JWK_dotnet_objects_and_PEM()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var aes = Aes.Create();

        var fromRsa = await KeyStore.ImportKeyAsync("rsa", new JsonWebKey(rsa, includePrivateParameters: true));
        var fromEc = await KeyStore.ImportKeyAsync("ec", new JsonWebKey(ec, includePrivateParameters: true));
        var fromAes = await KeyStore.ImportKeyAsync("aes", new JsonWebKey(aes));
        var fromPkcs8 = await KeyStore.ImportKeyAsync("pkcs8", JsonWebKey.FromPem(rsa.ExportPkcs8PrivateKeyPem()));
        var fromRsaPem = await KeyStore.ImportKeyAsync("rsapem", JsonWebKey.FromPem(rsa.ExportRSAPrivateKeyPem()));
        var fromEcPem = await KeyStore.ImportKeyAsync("ecpem", JsonWebKey.FromPem(ec.ExportECPrivateKeyPem()));

        fromRsa.Key.N.Should().Equal(rsa.ExportParameters(false).Modulus);
        fromPkcs8.Key.N.Should().Equal(rsa.ExportParameters(false).Modulus);
        fromRsaPem.Key.N.Should().Equal(rsa.ExportParameters(false).Modulus);
        fromEc.Key.CurveName.Should().Be(KeyCurveName.P384);
        fromEcPem.Key.X.Should().Equal(ec.ExportParameters(false).Q.X);
        fromAes.Key.K.Should().BeNull();
        using var client = KeyStore.GetCryptographyClient("aes");
        var sealedByVault = client.Encrypt(KeyVault.Embedded.Keys.Cryptography.EncryptionAlgorithm.A256CbcPad, [1, 2, 3]);
        aes.DecryptCbc(sealedByVault.Ciphertext, sealedByVault.Iv!).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task Imports_without_private_material_or_with_mismatched_members_are_refused()
    {
        using var rsa = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var mismatched = new JsonWebKey(rsa, includePrivateParameters: true) { D = other.ExportParameters(true).D };
        var publicOnly = new JsonWebKey(rsa);
        var offCurve = new JsonWebKey { KeyType = KeyType.Ec, CurveName = KeyCurveName.P256, X = new byte[32], Y = new byte[32], D = new byte[32] };
        offCurve.D[31] = 1;

        foreach (var (jwk, rule) in new[] { (publicOnly, "private"), (mismatched, "match"), (offCurve, "P-256") })
        {
            var error = (await FluentActions.Awaiting(() => KeyStore.ImportKeyAsync("imported", jwk)).Should().ThrowAsync<VaultException>()).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        }

        FluentActions.Invoking(() => JsonWebKey.FromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")).Should().Throw<VaultException>();
        (await KeyStore.GetPropertiesOfKeysAsync().ToListAsync()).Should().BeEmpty("nothing was written");
    }

    [Fact]
    public async Task Update_changes_properties_and_operations_but_never_the_key()
    {
        var created = await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        var update = new KeyProperties("k") { Enabled = false, ExpiresOn = Start.AddDays(30) };
        update.Tags["team"] = "a";

        var updated = await KeyStore.UpdateKeyPropertiesAsync(update, [KeyOperation.Verify]);

        updated.Properties.Enabled.Should().BeFalse();
        updated.Properties.ExpiresOn.Should().Be(Start.AddDays(30));
        updated.Properties.Tags.Should().ContainKey("team");
        updated.KeyOperations.Should().Equal(KeyOperation.Verify);
        updated.Key.X.Should().Equal(created.Key.X);
        (await KeyStore.GetPropertiesOfKeyVersionsAsync("k").ToListAsync()).Should().ContainSingle();
        await FluentActions.Awaiting(() => KeyStore.UpdateKeyPropertiesAsync(new KeyProperties("k"), [KeyOperation.Decrypt]))
            .Should().ThrowAsync<VaultException>().Where(e => e.ErrorCode == VaultErrorCode.BadParameter);
    }

    [Fact]
    public async Task Keys_share_versions_soft_delete_recover_and_purge_with_secrets()
    {
        var v1 = await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        var v2 = await KeyStore.RotateKeyAsync("k");
        (await KeyStore.GetPropertiesOfKeyVersionsAsync("k").ToListAsync()).Select(p => p.Version).Should().Equal(v1.Properties.Version, v2.Properties.Version);

        var deleted = (await KeyStore.StartDeleteKeyAsync("k")).Value;
        deleted.RecoveryId.Should().Be(new Uri(Vault.Properties.VaultUri, "deletedkeys/k"));
        deleted.ScheduledPurgeDate.Should().Be(Start.AddDays(90));
        (await FluentActions.Awaiting(() => KeyStore.GetKeyAsync("k")).Should().ThrowAsync<VaultObjectNotFoundException>())
            .Which.ErrorCode.ToString().Should().Be("KeyNotFound");
        (await FluentActions.Awaiting(() => KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.ObjectIsDeletedButRecoverable);
        (await KeyStore.GetDeletedKeysAsync().ToListAsync()).Should().ContainSingle();

        var recovered = (await KeyStore.StartRecoverDeletedKeyAsync("k")).Value;
        recovered.Properties.Version.Should().Be(v2.Properties.Version);
        await KeyStore.StartDeleteKeyAsync("k");
        await KeyStore.PurgeDeletedKeyAsync("k");
        (await KeyStore.GetDeletedKeysAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_secret_and_a_key_may_share_a_name()
    {
        await Secrets.SetSecretAsync("shared", "v");
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("shared"));

        (await Secrets.GetSecretAsync("shared")).Value.Should().Be("v");
        (await KeyStore.GetKeyAsync("shared")).KeyType.Should().Be(KeyType.Oct);
    }

    [Fact]
    public async Task Private_key_material_is_sealed_at_rest()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var aes = Aes.Create();
        await KeyStore.ImportKeyAsync("ec", new JsonWebKey(ec, includePrivateParameters: true));
        await KeyStore.ImportKeyAsync("aes", new JsonWebKey(aes));
        await Vault.DisposeAsync();

        foreach (var file in Files.Snapshot(Dir.Path).Values)
        {
            Files.Contains(file, ec.ExportParameters(true).D).Should().BeFalse();
            Files.Contains(file, aes.Key).Should().BeFalse();
        }

        await ReopenAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(128)]
    public async Task Random_bytes_come_in_the_asked_number(int count)
    {
        var first = await KeyStore.GetRandomBytesAsync(count);
        var second = await KeyStore.GetRandomBytesAsync(count);

        first.Should().HaveCount(count);
        if (count >= 32)
        {
            first.Should().NotEqual(second);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public async Task Random_bytes_outside_1_to_128_are_refused(int count)
    {
        (await FluentActions.Awaiting(() => KeyStore.GetRandomBytesAsync(count)).Should().ThrowAsync<VaultException>())
            .Which.Message.Should().Contain("128");
    }

    private Task<KeyVaultKey> CreateAsync(string name, string kty, int? size, string? curve) => kty switch
    {
        "RSA" => KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions(name) { KeySize = size }),
        "EC" => KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions(name) { CurveName = new KeyCurveName(curve!) }),
        _ => KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions(name) { KeySize = size }),
    };

    private static T Ops<T>(T options, params KeyOperation[] operations)
        where T : CreateKeyOptions
    {
        foreach (var operation in operations)
        {
            options.KeyOperations.Add(operation);
        }

        return options;
    }
}
