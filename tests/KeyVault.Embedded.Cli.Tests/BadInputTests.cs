using KeyVault.Embedded.Cli.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

/// <summary>
/// Bad input gets a typed error on standard error, its exit code, nothing on standard output, and changes nothing.
/// Input the tool checks itself is refused before the vault is opened, so the files stay byte for byte the same; what
/// the vault refuses leaves an audit record, so there the listings are compared.
/// </summary>
public sealed class BadInputTests(BadInputTests.SeededVault seeded) : IClassFixture<BadInputTests.SeededVault>
{
    private const string Needle = "n33dle-secret-value";

    public static TheoryData<string, int, string[]> RefusedBeforeTheVaultOpens => new()
    {
        { "UsageError", 2, ["secret", "sett", "--name", "a"] },
        { "UsageError", 2, ["secret", "set", "--name", "a", "--value", Needle, "--bogus"] },
        { "UsageError", 2, ["secret", "show"] },
        { "UsageError", 2, ["secret", "list", "-o", "yaml"] },
        { "UsageError", 2, ["secret", "set-attributes", "--name", "a", "--enabled", "maybe"] },
        { "UsageError", 2, ["secret", "set", "--name", "a", "--value", Needle, "--expires", "not-a-date"] },
        { "UsageError", 2, ["key"] },
        { "BadParameter", 6, ["secret", "set", "--name", "a", "--value", Needle, "--file", "/nonexistent"] },
        { "BadParameter", 6, ["secret", "set", "--name", "a", "--file", "/nonexistent/value"] },
        { "BadParameter", 6, ["secret", "set", "--name", "a", "--value", Needle, "--tags", "no-equals-sign"] },
        { "BadParameter", 6, ["key", "sign", "--name", "k", "--alg", "ES256", "--digest", "***not base64***"] },
        { "BadParameter", 6, ["key", "sign", "--name", "k", "--alg", "ES256"] },
        { "BadParameter", 6, ["key", "create", "--name", "k", "--kty", "DSA"] },
        { "BadParameter", 6, ["key", "decrypt", "--name", "k", "--alg", "A256GCM", "--value", "AAAA"] },
        { "BadParameter", 6, ["secret", "restore", "--file", "/nonexistent/backup"] },
        { "Conflict", 5, ["vault", "create"] },
    };

    [Theory]
    [MemberData(nameof(RefusedBeforeTheVaultOpens))]
    public async Task Input_the_tool_refuses_writes_nothing(string code, int exitCode, string[] args)
    {
        var home = seeded.Home;
        var before = home.FileFingerprint();

        var result = await home.RunAsync(args);

        result.ExitCode.Should().Be(exitCode, result.ToString());
        result.Stderr.Should().StartWith($"ERROR: ({code}) ");
        result.Stderr.Should().NotContain(Needle, "a value given on the command line is never echoed in an error");
        result.Stdout.Should().BeEmpty();
        home.FileFingerprint().Should().Equal(before);
    }

    public static TheoryData<string, int, string[]> RefusedByTheVault => new()
    {
        { "BadParameter", 6, ["secret", "set", "--name", "bad_name!", "--value", Needle] },
        { "BadParameter", 6, ["secret", "set", "--name", "big", "--value", new string('x', 26 * 1024)] },
        { "BadParameter", 6, ["key", "sign", "--name", "ec", "--alg", "RS256", "--digest", Convert.ToBase64String(new byte[32])] },
        { "SecretNotFound", 3, ["secret", "purge", "--name", "existing"] },
        { "SecretNotFound", 3, ["secret", "set-attributes", "--name", "missing", "--enabled", "false"] },
        { "KeyNotFound", 3, ["key", "show", "--name", "missing"] },
    };

    [Theory]
    [MemberData(nameof(RefusedByTheVault))]
    public async Task Input_the_vault_refuses_changes_no_object(string code, int exitCode, string[] args)
    {
        var home = seeded.Home;
        var secretsBefore = (await home.RunAsync("secret", "list-versions", "-n", "existing")).Stdout;
        var keysBefore = (await home.RunAsync("key", "list")).Stdout;

        var result = await home.RunAsync(args);

        result.ExitCode.Should().Be(exitCode, result.ToString());
        result.Stderr.Should().StartWith($"ERROR: ({code}) ");
        result.Stderr.Should().NotContain(Needle);
        result.Stdout.Should().BeEmpty();
        (await home.RunAsync("secret", "list-versions", "-n", "existing")).Stdout.Should().Be(secretsBefore);
        (await home.RunAsync("key", "list")).Stdout.Should().Be(keysBefore);
    }

    [Fact]
    public async Task A_deleted_name_cannot_be_reused_exit_5()
    {
        using var home = await VaultHome.CreateAsync();
        await home.OkAsync("secret", "set", "-n", "gone", "--value", "1");
        await home.OkAsync("secret", "delete", "-n", "gone");

        var reuse = await home.RunAsync("secret", "set", "-n", "gone", "--value", Needle);

        reuse.ExitCode.Should().Be(5, reuse.ToString());
        reuse.Stderr.Should().StartWith("ERROR: (ObjectIsDeletedButRecoverable)").And.NotContain(Needle);
        reuse.Stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task No_root_given_is_a_bad_parameter_and_never_a_new_vault()
    {
        using var home = await VaultHome.CreateAsync(createVault: false);

        var result = await home.RunWithAsync(["vault", "create"], null, new Dictionary<string, string?> { ["KV_ROOT_KEY"] = null });

        result.ExitCode.Should().Be(6, result.ToString());
        result.Stderr.Should().StartWith("ERROR: (BadParameter) No root key");
        Directory.GetFiles(home.Folder).Should().BeEmpty();
    }

    /// <summary>One vault for the cases that must change nothing: a secret <c>existing</c> and an EC key <c>ec</c>.</summary>
    public sealed class SeededVault : IAsyncLifetime
    {
        public VaultHome Home { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Home = await VaultHome.CreateAsync();
            await Home.OkAsync("secret", "set", "-n", "existing", "--value", "kept");
            await Home.OkAsync("key", "create", "-n", "ec", "--kty", "EC");
        }

        public Task DisposeAsync()
        {
            Home.Dispose();
            return Task.CompletedTask;
        }
    }
}
