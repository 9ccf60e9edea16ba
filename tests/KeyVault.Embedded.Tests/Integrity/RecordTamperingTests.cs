using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Configuration;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Integrity;

/// <summary>
/// For every stored record of a vault holding every kind of object (header, key-encryption key, manifest buckets,
/// objects, versions, policies, settings, contacts, issuers, deleted objects), and for edits all over each record, its
/// removal and the replay of its older copies: every read path gives exactly what the untouched vault gives, or the
/// typed integrity error; the edit is always caught by some path; and a write path that refuses changes nothing.
/// </summary>
public sealed class RecordTamperingTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly InMemoryRecordStore _store = new();
    private readonly byte[] _key = TestVaults.NewKey();
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private FakeTimeProvider _time = new(Start);

    public RecordTamperingTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Every_edit_removal_or_replay_of_any_record_gives_the_original_results_or_an_integrity_error()
    {
        var older = await BuildAsync();
        var pristine = _store.Snapshot();
        var baseline = await ReadEverythingAsync();
        baseline.Should().NotContainKey("open").And.Subject.Values.Should().NotContain(v => v.StartsWith("IntegrityCheckFailed", StringComparison.Ordinal));

        var trials = new List<(string Name, Action<Dictionary<string, byte[]>> Tamper)>();
        foreach (var (key, value) in pristine)
        {
            // Edits spread over the record (its first and last bytes, and two between); the seeded fuzz in
            // DamagedFileTests flips bits everywhere else.
            foreach (var at in new[] { 0, value.Length / 2, value.Length - 1 }.Distinct())
            {
                trials.Add(($"flip {key}[{at}]", records => records[key] = Flipped(records[key], at)));
            }

            trials.Add(($"remove {key}", records => records.Remove(key)));
            foreach (var (snapshot, index) in older.Select((s, i) => (s, i)))
            {
                if (snapshot.TryGetValue(key, out var old) && !old.SequenceEqual(value))
                {
                    trials.Add(($"replay {key} from snapshot {index}", records => records[key] = old));
                }
            }
        }

        foreach (var (key, _) in older.SelectMany(s => s).Where(p => !pristine.ContainsKey(p.Key)).DistinctBy(p => p.Key))
        {
            var old = older.Last(s => s.ContainsKey(key))[key];
            trials.Add(($"put back removed {key}", records => records[key] = old));
        }

        var silent = new List<string>();
        var caught = 0;
        var timer = System.Diagnostics.Stopwatch.StartNew();
        foreach (var ((name, tamper), index) in trials.Select((t, i) => (t, i)))
        {
            var tampered = new Dictionary<string, byte[]>(pristine, StringComparer.Ordinal);
            tamper(tampered);
            _store.Restore(tampered);
            var results = await ReadEverythingAsync();
            if (results.TryGetValue("open", out var opened) && opened == "IntegrityCheckFailed")
            {
                // Refused at open: every read path ends in the integrity error.
                caught++;
                _store.Snapshot().Should().BeEquivalentTo(tampered, $"a refused open after '{name}' writes nothing");
                continue;
            }

            var differences = baseline.Keys.Union(results.Keys)
                .Where(path => !results.TryGetValue(path, out var got) || !baseline.TryGetValue(path, out var expected) || got != expected)
                .ToList();
            var wrong = differences.Where(path => !results.TryGetValue(path, out var got) || !got.StartsWith("IntegrityCheckFailed", StringComparison.Ordinal)).ToList();
            if (wrong.Count > 0)
            {
                silent.Add($"{name}: {string.Join(", ", wrong.Select(p => $"{p} = {results.GetValueOrDefault(p) ?? "(missing)"}, expected {baseline.GetValueOrDefault(p)}"))}");
            }
            else if (differences.Count == 0)
            {
                silent.Add($"{name}: no read path noticed");
            }
            else
            {
                caught++;
            }

            _store.Snapshot().Should().BeEquivalentTo(tampered, $"reading after '{name}' writes nothing");

            // One write path per trial, in turn (each opens the vault again): every path meets every kind of record.
            await RefusedWriteChangesNothingAsync(index, name, tampered);
        }

        _output.WriteLine($"{trials.Count} trials, {caught} caught by a read path, in {timer.Elapsed.TotalSeconds:F0} s");

        string.Join("\n", silent).Should().BeEmpty();
        caught.Should().BeGreaterThan(trials.Count / 2);
    }

    /// <summary>A write path run on the tampered vault: it works (it did not need the record), or it is refused and changes nothing.</summary>
    private async Task RefusedWriteChangesNothingAsync(int index, string trial, Dictionary<string, byte[]> tampered)
    {
        var writes = new (string Name, Func<EmbeddedVault, Task> Write)[]
        {
            ("rotate key", v => v.Keys.RotateKeyAsync("signing")),
            ("apply rotation policies", v => v.Keys.ApplyRotationPoliciesAsync()),
            ("purge secret", v => v.Secrets.PurgeDeletedSecretAsync("deleted-secret")),
            ("purge due", async v =>
            {
                _time.Advance(TimeSpan.FromDays(100));
                await v.PurgeDueDeletedObjectsAsync();
            }),
            ("lifetime actions", async v =>
            {
                _time.Advance(TimeSpan.FromDays(400));
                await v.Certificates.ApplyLifetimeActionsAsync();
            }),
            ("expiry notices", v => v.CheckExpiryAsync(TimeSpan.FromDays(400))),
            ("root rotation", v => v.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()))),
        };
        foreach (var (name, write) in writes.Skip(index % writes.Length).Take(1))
        {
            _store.Restore(tampered);
            _time = new FakeTimeProvider(Start.AddDays(2));
            EmbeddedVault vault;
            try
            {
                vault = await OpenAsync();
            }
            catch (VaultIntegrityException)
            {
                _store.Snapshot().Should().BeEquivalentTo(tampered, $"a refused open after '{trial}' writes nothing");
                return;
            }

            await using (vault)
            {
                try
                {
                    await write(vault);
                }
                catch (VaultException ex)
                {
                    // Refused (by the integrity check, or by a rule such as purge protection): nothing written.
                    _store.Snapshot().Should().BeEquivalentTo(tampered, $"'{name}' refused ({ex.ErrorCode}) after '{trial}' writes nothing");
                }
            }
        }
    }

    /// <summary>A vault with one of everything; returns snapshots of the store taken along the way (for replays).</summary>
    private async Task<List<Dictionary<string, byte[]>>> BuildAsync()
    {
        var snapshots = new List<Dictionary<string, byte[]>>();
        await using var vault = await OpenAsync();
        var secret = new KeyVaultSecret("db-password", "first");
        secret.Properties.Tags["env"] = "prod";
        await vault.Secrets.SetSecretAsync(secret);
        await vault.Secrets.SetSecretAsync("deleted-secret", "gone");
        snapshots.Add(_store.Snapshot());

        await vault.Secrets.SetSecretAsync(new KeyVaultSecret("db-password", "second") { Properties = { ContentType = "text/plain", ExpiresOn = Start.AddYears(1) } });
        await vault.Secrets.StartDeleteSecretAsync("deleted-secret");
        await vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("rsa"));
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
        await vault.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("wrapping"));
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("deleted-key"));
        snapshots.Add(_store.Snapshot());

        await vault.Keys.StartDeleteKeyAsync("deleted-key");
        var policy = new KeyRotationPolicy { ExpiresIn = "P90D" };
        policy.LifetimeActions.Add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P30D" });
        await vault.Keys.UpdateKeyRotationPolicyAsync("signing", policy);
        await vault.Keys.RotateKeyAsync("signing");
        var ca = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Tamper CA")
        {
            KeyUsage = { CertificateKeyUsage.KeyCertSign, CertificateKeyUsage.CrlSign, CertificateKeyUsage.DigitalSignature },
            ValidityInMonths = 60,
        };
        await vault.Certificates.StartCreateCertificateAsync("root-ca", ca);
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        snapshots.Add(_store.Snapshot());

        var leaf = new CertificatePolicy("root", "CN=app.example.com") { ValidityInMonths = 12, KeyType = CertificateKeyType.Ec };
        leaf.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 30 });
        await vault.Certificates.StartCreateCertificateAsync("tls", leaf);
        await vault.Certificates.StartCreateCertificateAsync("pending", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=pending.example.com"));
        await vault.Certificates.SetContactsAsync([new CertificateContact { Email = "ops@example.com" }]);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, "web-app");
        await vault.Access.SetAccessPolicyAsync(new VaultAccessPolicy("job", keys: ["wrapKey", "unwrapKey"]));
        await vault.EnablePurgeProtectionAsync();
        return snapshots;
    }

    /// <summary>Runs every read path; each result as text, or the error code of its failure.</summary>
    private async Task<Dictionary<string, string>> ReadEverythingAsync()
    {
        _time = new FakeTimeProvider(Start.AddDays(2));
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        EmbeddedVault vault;
        try
        {
            vault = await OpenAsync();
        }
        catch (VaultException ex)
        {
            results["open"] = Outcome(ex);
            return results;
        }

        await using (vault)
        {
            async Task Run(string path, Func<Task<string>> read)
            {
                try
                {
                    results[path] = await read();
                }
                catch (VaultException ex)
                {
                    results[path] = Outcome(ex);
                }
            }

            foreach (var name in new[] { "db-password", "deleted-secret", "tls", "root-ca", "pending" })
            {
                await Run($"secret {name}", async () => Describe(await vault.Secrets.GetSecretAsync(name)));
                await Run($"secret versions {name}", async () => await DescribeAll(vault.Secrets.GetPropertiesOfSecretVersionsAsync(name), Describe));
            }

            await Run("secrets", async () => await DescribeAll(vault.Secrets.GetPropertiesOfSecretsAsync(), Describe));
            await Run("deleted secrets", async () => await DescribeAll(vault.Secrets.GetDeletedSecretsAsync(), d => $"{d.Name}|{d.DeletedOn}|{d.ScheduledPurgeDate}"));
            await Run("deleted secret", async () => (await vault.Secrets.GetDeletedSecretAsync("deleted-secret")).ScheduledPurgeDate.ToString()!);
            foreach (var name in new[] { "rsa", "signing", "wrapping", "deleted-key", "tls", "root-ca" })
            {
                await Run($"key {name}", async () => Describe(await vault.Keys.GetKeyAsync(name)));
                await Run($"key versions {name}", async () => await DescribeAll(vault.Keys.GetPropertiesOfKeyVersionsAsync(name), Describe));
                await Run($"rotation policy {name}", async () => (await vault.Keys.GetKeyRotationPolicyAsync(name)).ToString());
            }

            await Run("keys", async () => await DescribeAll(vault.Keys.GetPropertiesOfKeysAsync(), Describe));
            await Run("deleted keys", async () => await DescribeAll(vault.Keys.GetDeletedKeysAsync(), d => $"{d.Name}|{d.DeletedOn}|{d.ScheduledPurgeDate}"));
            await Run("sign", () =>
            {
                using var client = vault.Keys.GetCryptographyClient("signing");
                var digest = SHA256.HashData("tamper"u8);
                var signature = client.Sign(SignatureAlgorithm.ES256, digest).Signature;
                return Task.FromResult(client.Verify(SignatureAlgorithm.ES256, digest, signature).IsValid.ToString());
            });
            await Run("wrap", () =>
            {
                using var client = vault.Keys.GetCryptographyClient("wrapping");
                var cek = new byte[32];
                return Task.FromResult(client.UnwrapKey(KeyWrapAlgorithm.A256KW, client.WrapKey(KeyWrapAlgorithm.A256KW, cek).EncryptedKey).Key.SequenceEqual(cek).ToString());
            });
            foreach (var name in new[] { "tls", "root-ca", "pending" })
            {
                await Run($"certificate {name}", async () => Describe(await vault.Certificates.GetCertificateAsync(name)));
                await Run($"certificate versions {name}", async () => await DescribeAll(vault.Certificates.GetPropertiesOfCertificateVersionsAsync(name), p => $"{p.Version}|{p.Enabled}|{p.ExpiresOn}"));
                await Run($"certificate policy {name}", async () => (await vault.Certificates.GetCertificatePolicyAsync(name)).ToString());
                await Run($"certificate operation {name}", async () => (await vault.Certificates.GetCertificateOperationAsync(name)).ToString());
            }

            await Run("certificates", async () => await DescribeAll(vault.Certificates.GetPropertiesOfCertificatesAsync(), p => $"{p.Name}|{p.Version}|{p.Enabled}"));
            await Run("download tls", async () =>
            {
                using var certificate = await vault.Certificates.DownloadCertificateAsync("tls");
                return $"{certificate.Thumbprint}|{certificate.HasPrivateKey}";
            });
            await Run("contacts", async () => string.Join(",", (await vault.Certificates.GetContactsAsync()).Select(c => c.Email)));
            await Run("issuers", async () => await DescribeAll(vault.Certificates.GetPropertiesOfIssuersAsync(), i => $"{i.Name}|{i.Provider}"));
            await Run("issuer", async () => (await vault.Certificates.GetIssuerAsync("root")).CertificateName ?? string.Empty);
            await Run("role assignments", async () => string.Join(",", (await vault.Access.GetRoleAssignmentsAsync()).Select(a => $"{a.PrincipalId}|{a.RoleDefinitionId}|{a.Scope}")));
            await Run("access policies", async () => string.Join(",", (await vault.Access.GetAccessPoliciesAsync()).Select(p => p.ToString())));
            await Run("properties", () => Task.FromResult($"{vault.Properties.PurgeProtectionEnabled}|{vault.Properties.SoftDeleteRetentionDays}|{vault.Properties.KeyEncryptionKeyVersion}"));
        }

        try
        {
            var configuration = new ConfigurationBuilder().AddEmbeddedVault(o =>
            {
                o.Vault = Options();
                o.ReloadOnChange = false;
            }).Build();
            results["configuration"] = string.Join(",", configuration.AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        }
        catch (Exception ex) when (Unwrap(ex) is VaultException refused)
        {
            results["configuration"] = Outcome(refused);
        }

        return results;
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is not VaultException && ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static string Outcome(VaultException ex) => ex.ErrorCode == VaultErrorCode.IntegrityCheckFailed ? "IntegrityCheckFailed" : $"{ex.ErrorCode} ({ex.Status})";

    private static string Describe(KeyVaultSecret secret) => $"{Describe(secret.Properties)}|{secret.Value}";

    private static string Describe(SecretProperties p) =>
        $"{p.Name}|{p.Version}|{p.Enabled}|{p.ContentType}|{p.ExpiresOn}|{p.NotBefore}|{p.Managed}|{string.Join(";", p.Tags.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"))}";

    private static string Describe(KeyVaultKey key) =>
        $"{Describe(key.Properties)}|{key.KeyType}|{string.Join(";", key.Key.KeyOps)}|{Convert.ToHexString(key.Key.N ?? [])}|{Convert.ToHexString(key.Key.X ?? [])}";

    private static string Describe(KeyProperties p) => $"{p.Name}|{p.Version}|{p.Enabled}|{p.ExpiresOn}|{p.Managed}";

    private static string Describe(KeyVaultCertificateWithPolicy c) => $"{c.Properties.Name}|{c.Properties.Version}|{Convert.ToHexString(c.Cer)}|{c.Policy}";

    private static async Task<string> DescribeAll<T>(IAsyncEnumerable<T> items, Func<T, string> describe)
    {
        var all = new List<string>();
        await foreach (var item in items)
        {
            all.Add(describe(item));
        }

        all.Sort(StringComparer.Ordinal);
        return string.Join("\n", all);
    }

    private static byte[] Flipped(byte[] value, int position)
    {
        var copy = value.ToArray();
        copy[position] ^= 0x10;
        return copy;
    }

    private EmbeddedVaultOptions Options()
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key, _time);
        options.StoreFactory = _ => _store;
        return options;
    }

    private Task<EmbeddedVault> OpenAsync() => EmbeddedVault.OpenAsync(Options());
}
