using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;
using Net.Pkcs11Interop.Common;

namespace KeyVault.Embedded.Pkcs11.Tests;

[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11RootTests : IDisposable
{
    private readonly SoftHsm _hsm;
    private readonly TempDirectory _dir = new();

    public Pkcs11RootTests(SoftHsm hsm)
    {
        _hsm = hsm;
    }

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_vault_under_a_token_root_keeps_its_secrets_across_opens()
    {
        using var root = _hsm.NewRoot(out var token);
        await using (var vault = await Open(root))
        {
            vault.Properties.RootKind.Should().Be(Pkcs11RootKey.RootKind);
            await vault.Secrets.SetSecretAsync("s", "sealed under a token");
        }

        await using var reopened = await Open(new Pkcs11RootKey(SoftHsm.Options(token)));
        (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("sealed under a token");
    }

    [Fact]
    public void The_root_key_is_sensitive_and_cannot_leave_the_token()
    {
        using var root = _hsm.NewRoot(out var token);

        SoftHsm.InToken(token, session =>
        {
            var key = session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_LABEL, "vault-root")]).Single();
            var values = session.GetAttributeValue(key, [CKA.CKA_VALUE, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
            values[0].CannotBeRead.Should().BeTrue("the token refuses to reveal the key's value");
            values[1].GetValueAsBool().Should().BeFalse();
            values[2].GetValueAsBool().Should().BeTrue();
            return true;
        });
    }

    [Fact]
    public void The_tokens_key_wrap_matches_BouncyCastle_byte_for_byte()
    {
        var token = _hsm.NewToken();
        var kek = RandomNumberGenerator.GetBytes(32);
        var key = RandomNumberGenerator.GetBytes(32);

        var wrapped = SoftHsm.InToken(token, session =>
        {
            // A session key with a known value, only for this comparison (a real root key is never extractable).
            var known = session.CreateObject(
            [
                Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                Pkcs11Token.Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                Pkcs11Token.Attribute(CKA.CKA_TOKEN, false),
                Pkcs11Token.Attribute(CKA.CKA_WRAP, true),
                Pkcs11Token.Attribute(CKA.CKA_VALUE, kek),
            ]);
            return Pkcs11Token.WrapBytes(session, known, key);
        });

        wrapped.Should().Equal(AesKeyWrap.Wrap(kek, key));
    }

    public static TheoryData<string, Func<string, Pkcs11RootKeyOptions>, string> BadConfigurations => new()
    {
        { "module not found", t => Set(SoftHsm.Options(t), o => o.ModulePath = "/nonexistent/libpkcs11.so"), "Pkcs11ModuleNotFound" },
        { "token not found", t => Set(SoftHsm.Options(t), o => o.TokenLabel = "no-such-token"), "Pkcs11TokenNotFound" },
        { "wrong PIN", t => SoftHsm.Options(t, pin: "wrong-pin-0000"), "Pkcs11PinIncorrect" },
        { "key not found", t => SoftHsm.Options(t, keyLabel: "no-such-key"), "Pkcs11RootKeyNotFound" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task Each_configuration_fault_is_a_clear_error_and_leaves_the_files_unchanged(string fault, Func<string, Pkcs11RootKeyOptions> configure, string code)
    {
        using var root = _hsm.NewRoot(out var token);
        await (await Open(root)).DisposeAsync();
        var before = Files.Snapshot(_dir.Path);
        var options = configure(token);

        var error = (await FluentActions.Awaiting(() => Open(new Pkcs11RootKey(options))).Should().ThrowAsync<VaultException>(fault)).Which;

        error.ErrorCode.ToString().Should().Be(code);
        error.Message.Should().NotContain(SoftHsm.UserPin).And.NotContain("wrong-pin");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
        (await FluentActions.Awaiting(() => Open(new Pkcs11RootKey(options), _dir.File("new.db"))).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.ToString().Should().Be(code);
        File.Exists(_dir.File("new.db")).Should().BeFalse("a failed creation leaves nothing behind");
    }

    [Fact]
    public async Task Two_keys_with_the_root_label_are_refused_as_ambiguous()
    {
        using var root = _hsm.NewRoot(out var token);
        SoftHsm.InToken(token, session => session.GenerateKey(Pkcs11Token.Mechanism(CKM.CKM_AES_KEY_GEN),
        [
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Pkcs11Token.Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            Pkcs11Token.Attribute(CKA.CKA_VALUE_LEN, 32ul),
            Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
            Pkcs11Token.Attribute(CKA.CKA_LABEL, "vault-root"),
        ]));

        (await FluentActions.Awaiting(() => Open(root)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(Pkcs11ErrorCodes.RootKeyAmbiguous);
        FluentActions.Invoking(() => Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token))).Should().Throw<VaultException>()
            .Which.ErrorCode.Should().Be(Pkcs11ErrorCodes.RootKeyAmbiguous);
    }

    [Fact]
    public async Task An_extractable_root_key_is_refused()
    {
        var token = _hsm.NewToken();
        SoftHsm.InToken(token, session => session.GenerateKey(Pkcs11Token.Mechanism(CKM.CKM_AES_KEY_GEN),
        [
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Pkcs11Token.Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            Pkcs11Token.Attribute(CKA.CKA_VALUE_LEN, 32ul),
            Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
            Pkcs11Token.Attribute(CKA.CKA_EXTRACTABLE, true),
            Pkcs11Token.Attribute(CKA.CKA_SENSITIVE, true),
            Pkcs11Token.Attribute(CKA.CKA_LABEL, "vault-root"),
        ]));

        var error = (await FluentActions.Awaiting(() => Open(new Pkcs11RootKey(SoftHsm.Options(token)))).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(Pkcs11ErrorCodes.RootKeyExtractable);
        File.Exists(VaultPath).Should().BeFalse();
    }

    [Fact]
    public async Task Another_key_of_the_same_token_does_not_open_the_vault_and_changes_nothing()
    {
        using var root = _hsm.NewRoot(out var token);
        await using (var vault = await Open(root))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
        }

        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token, keyLabel: "other-root"));
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => Open(new Pkcs11RootKey(SoftHsm.Options(token, keyLabel: "other-root")))).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task The_root_moves_software_to_token_to_token_to_software_rewrapping_only_the_key_encryption_keys()
    {
        var software = TestVaults.NewKey();
        using var rootA = _hsm.NewRoot(out _);
        using var rootB = _hsm.NewRoot(out _);
        SpyRecordStore spy = null!;
        var options = TestVaults.Options(VaultPath, software);
        options.StoreFactory = path => spy = new SpyRecordStore(LiteDbRecordStore.Open(path));
        await using (var vault = await EmbeddedVault.OpenAsync(options))
        {
            await vault.Secrets.SetSecretAsync("s", "moves with its vault");
            var versionsBefore = spy.Written.Count(r => r.Key.StartsWith("secrets/s/", StringComparison.Ordinal));

            await vault.RotateRootKeyAsync(rootA);
            await vault.RotateRootKeyAsync(rootB);
            (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("moves with its vault");
            spy.Written.Count(r => r.Key.StartsWith("secrets/s/", StringComparison.Ordinal)).Should().Be(versionsBefore, "records are not re-encrypted");
        }

        await FluentActions.Awaiting(() => Open(rootA)).Should().ThrowAsync<VaultException>();
        await using (var vault = await Open(rootB))
        {
            await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(software));
        }

        await using var back = await TestVaults.OpenAsync(VaultPath, software);
        (await back.Secrets.GetSecretAsync("s")).Value.Should().Be("moves with its vault");
    }

    [Fact]
    public async Task A_migration_interrupted_midway_leaves_the_vault_opening_with_the_old_root()
    {
        var software = TestVaults.NewKey();
        using var target = _hsm.NewRoot(out _);
        await using (var vault = await TestVaults.OpenAsync(VaultPath, software))
        {
            await vault.Secrets.SetSecretAsync("s", "v");

            await FluentActions.Awaiting(() => vault.RotateRootKeyAsync(new FailingAfter(target, wraps: 0))).Should().ThrowAsync<IOException>();
        }

        await using var reopened = await TestVaults.OpenAsync(VaultPath, software);
        (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        await FluentActions.Awaiting(() => Open(target)).Should().ThrowAsync<VaultException>();
    }

    private Task<EmbeddedVault> Open(IRootKeyProvider root, string? path = null) =>
        EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path ?? VaultPath, RootKey = root });

    private static Pkcs11RootKeyOptions Set(Pkcs11RootKeyOptions options, Action<Pkcs11RootKeyOptions> change)
    {
        change(options);
        return options;
    }

    /// <summary>A root whose token goes away after <c>wraps</c> wraps (as if unplugged mid-migration).</summary>
    private sealed class FailingAfter(IRootKeyProvider inner, int wraps) : IRootKeyProvider
    {
        public string Kind => inner.Kind;

        public async ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default) =>
            new Root(await inner.OpenAsync(context, cancellationToken), wraps);

        private sealed class Root(IRootKey inner, int wraps) : IRootKey
        {
            private int _left = wraps;

            public IReadOnlyDictionary<string, string> Parameters => inner.Parameters;

            public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
                _left-- > 0 ? inner.WrapKeyAsync(key, cancellationToken) : throw new IOException("The token went away.");

            public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default) =>
                inner.UnwrapKeyAsync(wrappedKey, cancellationToken);

            public ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default) =>
                inner.DeriveKeyAsync(context, cancellationToken);

            public void Dispose() => inner.Dispose();
        }
    }
}
