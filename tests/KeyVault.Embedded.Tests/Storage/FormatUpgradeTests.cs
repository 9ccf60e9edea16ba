using System.IO.Compression;
using System.Security.Cryptography;
using System.Threading;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// Vault files written by the first release (format 1; the fixtures under <c>Fixtures/</c> were made by commit
/// e49cbf9 running <c>Fixtures/format1-generator.cs.txt</c>, once closed cleanly and once killed with its log full)
/// are upgraded in place at open, crash-safely, or refused when the upgrade is not allowed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FormatUpgradeTests : IDisposable
{
    private static readonly byte[] FixtureKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly DateTimeOffset FixtureTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("format1-clean")]
    [InlineData("format1-crashed")]
    public async Task A_format_1_vault_is_upgraded_in_place_and_keeps_every_object(string fixture)
    {
        var modulus = Unpack(fixture);

        await using (var vault = await OpenAsync())
        {
            await CheckContentAsync(vault, modulus);
            await vault.Secrets.SetSecretAsync("after-upgrade", "written");
        }

        await using (var reopened = await OpenAsync(upgrade: false))
        {
            // The file is format 2 now: it opens even where upgrades are not allowed.
            await CheckContentAsync(reopened, modulus);
            (await reopened.Secrets.GetSecretAsync("after-upgrade")).Value.Should().Be("written");
        }
    }

    [Fact]
    public async Task A_format_1_vault_is_refused_naming_the_option_when_upgrades_are_not_allowed_and_left_as_it_was()
    {
        Unpack("format1-clean");
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => OpenAsync(upgrade: false)).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.VaultFormatInvalid);
        error.Message.Should().Contain("format-1").And.Contain("AllowFormatUpgrade");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task A_format_1_vault_under_a_wrong_root_is_refused_and_left_as_it_was()
    {
        Unpack("format1-clean");
        var before = Files.Snapshot(_dir.Path);

        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, TestVaults.NewKey())).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().NotBe(VaultErrorCode.VaultFormatInvalid);
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task An_upgrade_killed_at_random_moments_leaves_a_vault_that_opens_with_every_object()
    {
        var random = new Random(7);
        var timer = System.Diagnostics.Stopwatch.StartNew();
        string modulus;
        using (var child = Start(out modulus))
        {
            child.ExpectLine().Should().Be("OPEN");
        }

        // How long a child takes to start and upgrade: the kills below are spread over that span.
        var span = timer.Elapsed;
        for (var round = 0; round < 12; round++)
        {
            using (var child = Start(out modulus))
            {
                var until = span * random.NextDouble();
                var wait = System.Diagnostics.Stopwatch.StartNew();
                while (wait.Elapsed < until)
                {
                    Thread.SpinWait(1000);
                }

                child.Kill();
            }

            await using var vault = await OpenAsync();
            await CheckContentAsync(vault, modulus);
        }
    }

    private ChildProcess Start(out string modulus)
    {
        foreach (var file in Directory.GetFiles(_dir.Path))
        {
            File.Delete(file);
        }

        modulus = Unpack("format1-crashed");
        return ChildProcess.Start("hold", VaultPath, Convert.ToHexString(FixtureKey));
    }

    /// <summary>What the generator wrote, read back through every kind of object.</summary>
    private static async Task CheckContentAsync(EmbeddedVault vault, string modulus)
    {
        var secret = await vault.Secrets.GetSecretAsync("db-password");
        secret.Value.Should().Be("second");
        secret.Properties.Tags.Should().Contain("env", "prod");
        secret.Properties.ContentType.Should().Be("text/plain");
        var versions = new List<string>();
        await foreach (var version in vault.Secrets.GetPropertiesOfSecretVersionsAsync("db-password"))
        {
            versions.Add((await vault.Secrets.GetSecretAsync("db-password", version.Version)).Value);
        }

        versions.Should().BeEquivalentTo(["first", "second"]);
        (await vault.Secrets.GetDeletedSecretAsync("deleted-one")).Properties.Name.Should().Be("deleted-one");

        var signing = await vault.Keys.GetKeyAsync("signing");
        Convert.ToBase64String(signing.Key.N!).Should().Be(modulus);
        using (var client = vault.Keys.GetCryptographyClient("signing"))
        {
            var digest = SHA256.HashData("upgrade"u8);
            var signature = client.Sign(SignatureAlgorithm.RS256, digest).Signature;
            using var rsa = RSA.Create(new RSAParameters { Modulus = signing.Key.N, Exponent = signing.Key.E });
            rsa.VerifyHash(digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Should().BeTrue();
        }

        using (var wrapping = vault.Keys.GetCryptographyClient("wrapping"))
        {
            var cek = RandomNumberGenerator.GetBytes(32);
            wrapping.UnwrapKey(KeyWrapAlgorithm.A256KW, wrapping.WrapKey(KeyWrapAlgorithm.A256KW, cek).EncryptedKey).Key.Should().Equal(cek);
        }

        var certificate = await vault.Certificates.GetCertificateAsync("tls");
        certificate.Policy.Subject.Should().Be("CN=app.example.com");
        using (var downloaded = await vault.Certificates.DownloadCertificateAsync("tls"))
        {
            downloaded.HasPrivateKey.Should().BeTrue();
        }

        (await vault.Certificates.GetContactsAsync()).Should().ContainSingle().Which.Email.Should().Be("ops@example.com");
    }

    private Task<EmbeddedVault> OpenAsync(bool upgrade = true) =>
        TestVaults.OpenAsync(VaultPath, FixtureKey, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(FixtureTime.AddDays(1)), o => o.AllowFormatUpgrade = upgrade);

    /// <returns>The modulus of the fixture's RSA key, as the generator printed it.</returns>
    private string Unpack(string fixture)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture);
        foreach (var name in new[] { "vault.db", "vault-log.db" })
        {
            using var source = new GZipStream(File.OpenRead(Path.Combine(folder, name + ".gz")), CompressionMode.Decompress);
            var target = _dir.File(name);
            using (var file = File.Create(target))
            {
                source.CopyTo(file);
            }

            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return File.ReadAllText(Path.Combine(folder, "signing-n.txt")).Trim();
    }
}
