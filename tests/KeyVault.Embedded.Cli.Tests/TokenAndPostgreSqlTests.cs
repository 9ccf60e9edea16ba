using KeyVault.Embedded.Cli.Tests.Support;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

/// <summary>The tool on a real SoftHSMv2 token (root migration, PINs kept off the command line) and on a real PostgreSQL.</summary>
public sealed class TokenAndPostgreSqlTests
{
    [Fact]
    public async Task Migrate_root_moves_a_software_vault_onto_a_new_token_key_and_reseals_every_record()
    {
        using var home = await VaultHome.CreateAsync();
        foreach (var name in new[] { "one", "two", "three" })
        {
            await home.OkAsync("secret", "set", "-n", name, "--value", $"{name}-value");
        }

        var token = new SoftHsmToken(home.PathOf("hsm"));
        var pinLine = SoftHsmToken.Pin + "\n";

        var migrated = await home.RunWithAsync(["vault", "migrate-root", .. token.RootArguments("vault-root", "to-"), "--to-generate-pkcs11-key"], pinLine, token.Environment);

        var json = VaultHome.Ok(migrated)!;
        json["rootKind"]!.GetValue<string>().Should().Be("pkcs11");
        json["keyEncryptionKeyVersion"]!.GetValue<int>().Should().Be(2);
        json["resealedRecords"]!.GetValue<long>().Should().BeGreaterThanOrEqualTo(3, "every secret version is re-sealed under the new key-encryption key");
        migrated.Stderr.Should().MatchRegex(@"(?m)^re-seal: \d+/\d+ records$");
        migrated.Stderr.Should().NotContain(SoftHsmToken.Pin);

        var oldRoot = await home.RunAsync("secret", "show", "-n", "one");
        oldRoot.ExitCode.Should().Be(8, "the software root no longer opens the vault: " + oldRoot);

        // The PIN from an inherited file descriptor (bash opens it as fd 3), never on the command line.
        var pinFile = home.PathOf("pin");
        await File.WriteAllTextAsync(pinFile, pinLine);
        var environment = new Dictionary<string, string?>(token.Environment) { ["KV_VAULT"] = home.VaultPath, ["PIN_FILE"] = pinFile };
        var viaFd = await KvTool.RunProcessAsync("bash", ["-c", "exec \"$0\" \"$@\" 3<\"$PIN_FILE\"", home.Tool.Executable, "secret", "show", "-n", "two", .. token.RootArguments("vault-root"), "--pin-fd", "3"], environment: environment);
        VaultHome.Ok(viaFd)!["value"]!.GetValue<string>().Should().Be("two-value");

        var hsmKey = VaultHome.Ok(await home.RunWithAsync(["key", "create", "-n", "in-token", "--kty", "EC-HSM", .. token.RootArguments("vault-root")], pinLine, token.Environment))!;
        hsmKey["kty"]!.GetValue<string>().Should().Be("EC-HSM");

        var before = home.FileFingerprint();
        var wrongPin = await home.RunWithAsync(["secret", "show", "-n", "one", .. token.RootArguments("vault-root")], "000000-wrong-pin\n", token.Environment);
        wrongPin.ExitCode.Should().Be(8, "a refused PIN is a root problem: " + wrongPin);
        wrongPin.Stderr.Should().StartWith("ERROR: (Pkcs11PinIncorrect)");
        wrongPin.Stderr.Should().NotContain("000000-wrong-pin");
        home.FileFingerprint().Should().Equal(before);
    }

    [Fact]
    public async Task Vault_create_generates_its_token_key_and_refuses_a_label_already_in_the_token()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        var token = new SoftHsmToken(home.PathOf("hsm"));
        var pinLine = SoftHsmToken.Pin + "\n";
        var noSoftwareRoot = new Dictionary<string, string?>(token.Environment) { ["KV_ROOT_KEY"] = null };

        var created = VaultHome.Ok(await home.RunWithAsync(["vault", "create", .. token.RootArguments("first-root"), "--generate-pkcs11-key"], pinLine, noSoftwareRoot))!;
        created["rootKind"]!.GetValue<string>().Should().Be("pkcs11");
        VaultHome.Ok(await home.RunWithAsync(["secret", "set", "-n", "s", "--value", "v", .. token.RootArguments("first-root")], pinLine, noSoftwareRoot));

        var second = home.PathOf("second.db");
        var again = await home.RunWithAsync(["vault", "create", "--vault", second, .. token.RootArguments("first-root"), "--generate-pkcs11-key"], pinLine, noSoftwareRoot);
        again.ExitCode.Should().Be(8, again.ToString());
        again.Stderr.Should().StartWith("ERROR: (Pkcs11RootKeyAmbiguous)");
        again.Stderr.Should().Contain("already has an AES key labelled 'first-root'");
        File.Exists(second).Should().BeFalse("a refused key generation creates no vault");

        // A create refused after its key was generated leaves no orphan in the token: the label can be generated again.
        var refused = await home.RunWithAsync(["vault", "create", "--vault", second, .. token.RootArguments("second-root"), "--generate-pkcs11-key", "--retention-days", "3"], pinLine, noSoftwareRoot);
        refused.ExitCode.Should().Be(6, refused.ToString());
        refused.Stderr.Should().Contain("root key generated for it was removed from the token");
        File.Exists(second).Should().BeFalse();
        var retried = VaultHome.Ok(await home.RunWithAsync(["vault", "create", "--vault", second, .. token.RootArguments("second-root"), "--generate-pkcs11-key"], pinLine, noSoftwareRoot))!;
        retried["rootKind"]!.GetValue<string>().Should().Be("pkcs11");
    }

    [Fact]
    public async Task A_PostgreSQL_vault_is_created_used_from_separate_processes_and_a_mistyped_name_is_not_a_new_vault()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);
        using var cluster = new PostgreSqlCluster();
        string[] store = ["--postgresql", cluster.ConnectionString, "--vault-name", "cli"];

        var created = (await home.OkAsync(["vault", "create", .. store]))!;
        created["location"]!.GetValue<string>().Should().Be("postgresql vault 'cli'");
        await home.OkAsync(["secret", "set", "-n", "shared", "--value", "from-the-first-process", .. store]);
        (await home.OkAsync(["secret", "show", "-n", "shared", .. store]))!["value"]!.GetValue<string>().Should().Be("from-the-first-process");
        (await cluster.ScalarAsync<long>("SELECT count(*) FROM keyvault_embedded.records WHERE vault = 'cli'")).Should().BePositive();

        var twice = await home.RunAsync(["vault", "create", .. store]);
        twice.ExitCode.Should().Be(5, twice.ToString());

        var mistyped = await home.RunAsync("secret", "list", "--postgresql", cluster.ConnectionString, "--vault-name", "cil");
        mistyped.ExitCode.Should().Be(3, mistyped.ToString());
        mistyped.Stderr.Should().StartWith("ERROR: (VaultNotFound)");
        (await cluster.ScalarAsync<long>("SELECT count(*) FROM keyvault_embedded.vaults WHERE vault = 'cil'")).Should().Be(0);
        mistyped.Stderr.Should().NotContain("Password", "the connection string's secrets stay out of messages");
    }
}
