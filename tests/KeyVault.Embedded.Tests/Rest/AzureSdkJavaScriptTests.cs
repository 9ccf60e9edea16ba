using System.Diagnostics;
using System.Text.Json;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore.Rest;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Operations;
using Xunit.Abstractions;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// The Azure SDK for JavaScript (@azure/keyvault-keys 4.10.2, -secrets 4.12.0, -certificates 4.10.3, pinned in
/// tests/js/package-lock.json), unmodified, in Node.js against the REST front over HTTPS: tests/js/keys.mjs creates,
/// reads, lists, updates, rotates, backs up, deletes, purges and restores keys, signs, verifies, encrypts, decrypts,
/// wraps and unwraps through CryptographyClient, then sets and deletes a secret and creates a self-signed certificate,
/// asserting every result. Node resolves the vault's name to loopback through a preloaded module and trusts only the
/// vault's root CA (NODE_EXTRA_CA_CERTS). Node and the npm packages must be there (<c>.ci/run</c> installs them): the
/// test fails, never skips, without them.
/// </summary>
public sealed class AzureSdkJavaScriptTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Principal = "js-sdk-app";
    private const int PagedKeys = 26;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private RestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RestServer.StartAsync(settings: new Dictionary<string, string?> { ["EmbeddedVault:Audit:Enabled"] = "true" });
        await _server.AssignAsync(Principal, KeyVaultRoles.CryptoOfficer);
        await _server.AssignAsync(Principal, KeyVaultRoles.SecretsOfficer);
        await _server.AssignAsync(Principal, KeyVaultRoles.CertificatesOfficer);

        // More keys than one page (25) holds, for the script's paging; made here, past the front's creation limit.
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            for (var i = 0; i < PagedKeys; i++)
            {
                await _server.Vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions($"js-page-{i:D2}") { KeySize = 128 });
            }
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_javascript_sdk_runs_keys_cryptography_secrets_and_certificates_against_the_rest_front()
    {
        var started = DateTimeOffset.UtcNow;
        var (exitCode, stdout, stderr, elapsed) = await RunNodeAsync("keys.mjs");
        output.WriteLine($"node keys.mjs: exit {exitCode} after {elapsed.TotalSeconds:F1} s");
        output.WriteLine(stdout);
        output.WriteLine(stderr);

        exitCode.Should().Be(0, $"the script's assertions pass (stderr: {stderr}; stdout: {stdout})");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        line.Should().NotBeNull("the script prints its results as one JSON line");
        using var results = JsonDocument.Parse(line!);
        var root = results.RootElement;
        root.GetProperty("ok").GetBoolean().Should().BeTrue();
        root.GetProperty("vaultUrl").GetString().Should().Be(_server.VaultUri.ToString());
        root.GetProperty("keys").GetProperty("rsa").GetString().Should().Be("js-rsa");
        root.GetProperty("signatures").GetProperty("ES256").GetInt32().Should().Be(64);
        root.GetProperty("signatures").GetProperty("RS256").GetInt32().Should().Be(256);
        root.GetProperty("signatures").GetProperty("PS256").GetInt32().Should().Be(256);
        root.GetProperty("crypto").GetProperty("encrypt").EnumerateArray().Select(e => e.GetString()).Should().Equal("RSA-OAEP-256", "RSA-OAEP", "A256GCM", "A256CBCPAD");
        root.GetProperty("crypto").GetProperty("wrap").EnumerateArray().Select(e => e.GetString()).Should().Equal("RSA-OAEP-256", "RSA1_5", "A256KW");
        root.GetProperty("rotation").GetProperty("versions").GetInt32().Should().Be(2);
        root.GetProperty("paging").GetProperty("pages").GetInt32().Should().BeGreaterThan(1, "the SDK followed nextLink");
        root.GetProperty("paging").GetProperty("keys").GetInt32().Should().BeGreaterThan(PagedKeys);
        root.GetProperty("secrets").GetProperty("versions").GetInt32().Should().Be(2);
        root.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()).Should().Equal([RestServer.Audience + "/.default"], "the SDK asks for the challenge's resource, which it accepted for vault.kve.test");
        root.GetProperty("requests").GetInt32().Should().BeGreaterThan(50);

        // The api-version each client sent (the SDKs' newest), all served.
        var versions = root.GetProperty("apiVersions");
        Versions(versions, "keys").Should().Equal("2025-07-01");
        Versions(versions, "certificates").Should().Equal("2025-07-01");
        Versions(versions, "secrets").Should().Equal("2026-04-01");
        foreach (var client in versions.EnumerateObject())
        {
            Versions(versions, client.Name).Should().BeSubsetOf(VaultRestApiOptions.SupportedApiVersions);
        }

        // The vault's side: what the script did is there, done by the script's principal, from loopback.
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            var rsa = await _server.Vault.Keys.GetKeyAsync("js-rsa");
            rsa.KeyType.Should().Be(KeyType.Rsa);
            rsa.Properties.Tags.Should().Contain("stage", "updated");
            rsa.Properties.ExpiresOn.Should().Be(new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero));
            var ec = await _server.Vault.Keys.GetKeyAsync("js-ec");
            ec.Key.CurveName.Should().Be(KeyCurveName.P256);
            var ecVersions = new List<string?>();
            await foreach (var version in _server.Vault.Keys.GetPropertiesOfKeyVersionsAsync("js-ec"))
            {
                ecVersions.Add(version.Version);
            }

            ecVersions.Should().HaveCount(2, "created and rotated");
            var policy = await _server.Vault.Keys.GetKeyRotationPolicyAsync("js-ec");
            policy.ExpiresIn.Should().Be("P90D");
            policy.LifetimeActions.Select(a => a.Action.ToString()).Should().Equal("Rotate", "Notify");
            var imported = await _server.Vault.Keys.GetKeyAsync("js-imported");
            imported.Properties.Tags.Should().Contain("origin", "node");
            var oct = await _server.Vault.Keys.GetKeyAsync("js-oct");
            oct.KeyType.Should().Be(KeyType.Oct);
            oct.Properties.Version.Should().Be(root.GetProperty("backup").GetProperty("restoredVersion").GetString(), "restored from its backup");
            var certificate = await _server.Vault.Certificates.GetCertificateAsync("js-cert");
            Convert.ToHexString(certificate.Properties.X509Thumbprint!).Should().Be(root.GetProperty("certificates").GetProperty("thumbprint").GetString());
            (await FluentActions.Awaiting(() => _server.Vault.Secrets.GetDeletedSecretAsync("js-secret")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(404, "the script purged it");

            var events = await _server.Vault.GetAuditEventsAsync(new AuditQuery { PrincipalId = Principal, From = started });
            var signs = events.Where(e => e.OperationName == VaultOperation.KeySign).ToList();
            signs.Should().HaveCountGreaterThanOrEqualTo(4, "ES256, RS256, PS256 and the old version's ES256");
            signs.Should().OnlyContain(e => e.CallerIpAddress == "127.0.0.1" && e.ResultType == "Success" && e.Identity.ObjectId == Principal);
            signs.Select(e => e.Properties.Id).Should().Contain(id => id != null && id.Contains("/keys/js-ec", StringComparison.Ordinal)).And.Contain(id => id != null && id.Contains("/keys/js-rsa", StringComparison.Ordinal));
            events.Select(e => e.OperationName).Should().Contain([VaultOperation.KeyCreate, VaultOperation.KeyVerify, VaultOperation.KeyEncrypt, VaultOperation.KeyDecrypt, VaultOperation.KeyWrap, VaultOperation.KeyUnwrap, VaultOperation.KeyRotate, VaultOperation.KeyBackup, VaultOperation.KeyRestore, VaultOperation.KeyImport, "KeyRecover", "KeyListDeleted", "KeyDelete", "KeyPurge", "SecretDelete", "SecretPurge", VaultOperation.SecretSet, VaultOperation.CertificateCreate]);
            events.Should().OnlyContain(e => e.CallerIpAddress == "127.0.0.1", "every call of the script came over loopback");
        }
    }

    private static IEnumerable<string?> Versions(JsonElement versions, string client) => versions.GetProperty(client).EnumerateArray().Select(e => e.GetString());

    private async Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)> RunNodeAsync(string script)
    {
        var folder = ScriptFolder();
        var node = FindOnPath("node") ?? throw new InvalidOperationException("Node.js (node) is not on PATH: the Azure SDK for JavaScript tests need it (.ci/run installs Debian's nodejs when it is missing).");
        foreach (var package in new[] { "keyvault-keys", "keyvault-secrets", "keyvault-certificates" })
        {
            if (!File.Exists(Path.Combine(folder, "node_modules", "@azure", package, "package.json")))
            {
                throw new InvalidOperationException($"{Path.Combine(folder, "node_modules")} has no @azure/{package}: run `npm ci --no-audit --no-fund` in {folder} (.ci/run does).");
            }
        }

        var info = new ProcessStartInfo(node)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--require", "./resolve-vault-host.cjs", script })
        {
            info.ArgumentList.Add(argument);
        }

        // Trust comes from the vault's root CA only; nothing from the environment may turn TLS checks off, preload
        // other code, or send the requests through a proxy.
        foreach (var name in new[] { "NODE_TLS_REJECT_UNAUTHORIZED", "NODE_OPTIONS", "NODE_EXTRA_CA_CERTS", "AZURE_LOG_LEVEL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["NODE_EXTRA_CA_CERTS"] = _server.WriteRootPem();
        info.Environment["VAULT_URL"] = _server.VaultUri.ToString();
        info.Environment["TOKEN"] = _server.Token(Principal);
        info.Environment["PAGED_KEYS"] = PagedKeys.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"node {script} did not finish within {Timeout.TotalSeconds} s. stdout: {await stdout} stderr: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    /// <summary>The repository's tests/js, found by walking up from the test binaries.</summary>
    private static string ScriptFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "js");
            if (File.Exists(Path.Combine(candidate, "package.json")) && File.Exists(Path.Combine(candidate, "keys.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No tests/js folder (with package.json and keys.mjs) above {AppContext.BaseDirectory}: the tests run outside the repository.");
    }

    private static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, OperatingSystem.IsWindows() ? name + ".exe" : name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
