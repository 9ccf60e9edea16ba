using System.Text;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Pkcs11.Tests.Support;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Net.Pkcs11Interop.Common;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary>
/// Attacks through the token: a forged token reference in the vault's records aimed at another key or the root key
/// itself, a wrong PIN hidden behind another vault's login, and a rolled-back vault under a token-kept anchor.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class TokenAttackTests : IDisposable
{
    private readonly SoftHsm _hsm;
    private readonly TempDirectory _dir = new();
    private readonly InMemoryRecordStore _store = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public TokenAttackTests(SoftHsm hsm)
    {
        _hsm = hsm;
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Targets => new() { "another key", "the root key", "an empty id" };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_forged_token_reference_under_a_deleted_key_destroys_nothing_and_is_an_integrity_error(string target)
    {
        using var root = _hsm.NewRoot(out var token);
        await using (var vault = await OpenInMemoryAsync(root))
        {
            await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("keep", hardwareProtected: true));
            await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("victim", hardwareProtected: true));
            await vault.Keys.StartDeleteKeyAsync("victim");
        }

        var objectsBefore = TokenObjects(token);
        var rootId = SoftHsm.InToken(token, session =>
            session.GetAttributeValue(session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_LABEL, "vault-root")]).Single(), [CKA.CKA_ID])[0].GetValueAsByteArray());
        var victim = _store.Records.Keys.Single(k => k.StartsWith("keys/victim/", StringComparison.Ordinal));
        var (attributes, sealedPayload) = StoredRecords.Version(_store.Records[victim]);
        var json = JsonNode.Parse(attributes)!.AsObject();
        var serial = json["key"]!["hsm"]!.GetValue<string>().Split(':')[0];

        // A reference is "{token serial}:{CKA_ID in hex}"; the forgery keeps the serial and aims the id elsewhere.
        json["key"]!["hsm"] = target switch
        {
            "another key" => HsmReferenceOf("keys/keep/"),
            "the root key" => $"{serial}:{Convert.ToHexString(rootId ?? [])}",
            _ => $"{serial}:",
        };
        _store.Records[victim] = StoredRecords.Version(Encoding.UTF8.GetBytes(json.ToJsonString()), sealedPayload);

        await using (var vault = await OpenInMemoryAsync(root))
        {
            await FluentActions.Awaiting(() => vault.Keys.PurgeDeletedKeyAsync("victim")).Should().ThrowAsync<VaultIntegrityException>();

            // The background pass purges what is due: past the retention date the forged record is due, and still refused.
            _time.Advance(TimeSpan.FromDays(91));
            await FluentActions.Awaiting(() => vault.PurgeDueDeletedObjectsAsync()).Should().ThrowAsync<VaultIntegrityException>();
        }

        TokenObjects(token).Should().BeEquivalentTo(objectsBefore, "not one token object was destroyed");
        await using (var again = await OpenInMemoryAsync(root))
        {
            using var client = again.Keys.GetCryptographyClient("keep");
            client.Sign(KeyVault.Embedded.Keys.Cryptography.SignatureAlgorithm.ES256, new byte[32]).Signature.Should().HaveCount(64, "the root and the other key still work");
        }
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_even_while_another_vault_of_the_process_is_logged_in_to_the_token()
    {
        using var root = _hsm.NewRoot(out var token);
        await using var first = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("first.db"), RootKey = root });
        await first.Secrets.SetSecretAsync("s", "v");

        using var wrong = new Pkcs11RootKey(SoftHsm.Options(token, pin: "not-the-pin"));
        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("second.db"), RootKey = wrong }))
            .Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(Pkcs11ErrorCodes.PinIncorrect);
        error.Message.Should().NotContain("not-the-pin").And.NotContain(SoftHsm.UserPin);
        File.Exists(_dir.File("second.db")).Should().BeFalse("a refused open creates nothing");
        (await first.Secrets.GetSecretAsync("s")).Value.Should().Be("v", "the other vault was not logged out");

        using var right = new Pkcs11RootKey(SoftHsm.Options(token));
        await using var second = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = _dir.File("second.db"), RootKey = right });
        await second.Secrets.SetSecretAsync("t", "w");
    }

    [Fact]
    public async Task Putting_back_an_older_copy_of_the_vault_files_is_refused_by_the_token_anchor()
    {
        var token = _hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        var options = SoftHsm.Options(token);
        options.UseTokenAnchor = true;
        using var root = new Pkcs11RootKey(options);
        var folder = _dir.File("vault");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "vault.db");
        await WriteAsync(root, path, "old");
        var copy = Snapshot(folder);
        await WriteAsync(root, path, "new");

        foreach (var (file, bytes) in copy)
        {
            Files.WriteOwnerOnly(file, bytes);
        }

        foreach (var extra in Directory.GetFiles(folder).Except(copy.Keys))
        {
            File.Delete(extra);
        }

        var error = (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path, RootKey = root })).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        error.Message.Should().Contain("anchor object").And.Contain(token);
        SoftHsm.InToken(token, session => session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_DATA)]).Count).Should().Be(1, "the anchor is one data object in the token");
    }

    [Fact]
    public async Task A_root_rotation_to_another_key_of_the_token_keeps_the_token_anchor_working()
    {
        var token = _hsm.NewToken();
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token));
        Pkcs11RootKey.CreateRootKey(SoftHsm.Options(token, "next-root"));
        var first = SoftHsm.Options(token);
        first.UseTokenAnchor = true;
        var next = SoftHsm.Options(token, "next-root");
        next.UseTokenAnchor = true;
        using var root = new Pkcs11RootKey(first);
        using var nextRoot = new Pkcs11RootKey(next);
        var folder = _dir.File("rotating");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "vault.db");
        await WriteAsync(root, path, "v1");

        await using (var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path, RootKey = root }))
        {
            await vault.RotateRootKeyAsync(nextRoot);
            await vault.Secrets.SetSecretAsync("password", "v2");
        }

        var copy = Snapshot(folder);
        await WriteAsync(nextRoot, path, "v3");
        foreach (var (file, bytes) in copy)
        {
            Files.WriteOwnerOnly(file, bytes);
        }

        (await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path, RootKey = nextRoot })).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
    }

    private static async Task WriteAsync(Pkcs11RootKey root, string path, string value)
    {
        await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = path, RootKey = root });
        await vault.Secrets.SetSecretAsync("password", value);
    }

    private static Dictionary<string, byte[]> Snapshot(string folder) => Directory.GetFiles(folder).ToDictionary(f => f, File.ReadAllBytes);

    private string HsmReferenceOf(string prefix) =>
        JsonNode.Parse(StoredRecords.Version(_store.Records[_store.Records.Keys.Single(k => k.StartsWith(prefix, StringComparison.Ordinal))]).Attributes)!["key"]!["hsm"]!.GetValue<string>();

    /// <summary>Every key object in the token, by class, id and label.</summary>
    private static List<string> TokenObjects(string token) => SoftHsm.InToken(token, session => session.FindAllObjects([])
        .Select(handle => session.GetAttributeValue(handle, [CKA.CKA_CLASS, CKA.CKA_ID, CKA.CKA_LABEL]))
        .Select(a => $"{a[0].GetValueAsUlong()}|{Convert.ToHexString(a[1].GetValueAsByteArray() ?? [])}|{a[2].GetValueAsString()}")
        .ToList());

    private Task<EmbeddedVault> OpenInMemoryAsync(Pkcs11RootKey root) => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = _dir.File("vault.db"),
        RootKey = root,
        TimeProvider = _time,
        StoreFactory = _ => _store,
    });
}
