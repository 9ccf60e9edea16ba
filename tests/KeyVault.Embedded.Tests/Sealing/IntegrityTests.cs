using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;
using LiteDB;

namespace KeyVault.Embedded.Tests.Sealing;

/// <summary>Records are bound to where they belong and what they say: moved, swapped or edited, they fail to read; they never read as other data.</summary>
public sealed class IntegrityTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();
    private readonly InMemoryRecordStore _store = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Flipping_any_single_byte_of_a_sealed_payload_fails_integrity()
    {
        await WithVaultAsync(v => v.Secrets.SetSecretAsync("s", "sensitive"));
        var record = _store.Versions.Values.Single();

        for (var position = 0; position < record.Sealed.Length; position++)
        {
            var tampered = record.Sealed.ToArray();
            tampered[position] ^= 0x01;
            _store.Versions[record.Key] = record with { Sealed = tampered };

            await ExpectIntegrityFailureAsync("s", $"byte {position} of the envelope was flipped");
        }

        _store.Versions[record.Key] = record;
        await WithVaultAsync(async v => (await v.Secrets.GetSecretAsync("s")).Value.Should().Be("sensitive"));
    }

    [Fact]
    public async Task Flipping_any_single_byte_of_the_stored_attributes_fails_integrity()
    {
        await WithVaultAsync(v =>
        {
            var secret = new KeyVault.Embedded.Secrets.KeyVaultSecret("s", "sensitive");
            secret.Properties.Tags["owner"] = "team";
            secret.Properties.ContentType = "text/plain";
            return v.Secrets.SetSecretAsync(secret);
        });
        var record = _store.Versions.Values.Single();

        for (var position = 0; position < record.Attributes.Length; position++)
        {
            var tampered = record.Attributes.ToArray();
            tampered[position] ^= 0x01;
            _store.Versions[record.Key] = record with { Attributes = tampered };

            await ExpectIntegrityFailureAsync("s", $"byte {position} of the attributes was flipped");
        }
    }

    [Fact]
    public async Task Swapping_two_records_payloads_fails_integrity_for_both()
    {
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("a", "value-a");
            await v.Secrets.SetSecretAsync("b", "value-b");
        });
        var a = _store.Versions.Values.Single(r => r.Key.StartsWith("secrets/a/", StringComparison.Ordinal));
        var b = _store.Versions.Values.Single(r => r.Key.StartsWith("secrets/b/", StringComparison.Ordinal));

        _store.Versions[a.Key] = a with { Sealed = b.Sealed, Attributes = b.Attributes };
        _store.Versions[b.Key] = b with { Sealed = a.Sealed, Attributes = a.Attributes };

        await ExpectIntegrityFailureAsync("a", "a holds b's payload");
        await ExpectIntegrityFailureAsync("b", "b holds a's payload");
    }

    [Fact]
    public async Task Swapping_two_versions_of_one_secret_fails_integrity()
    {
        string v1 = null!, v2 = null!;
        await WithVaultAsync(async v =>
        {
            v1 = (await v.Secrets.SetSecretAsync("s", "first")).Properties.Version!;
            v2 = (await v.Secrets.SetSecretAsync("s", "second")).Properties.Version!;
        });
        var r1 = _store.Versions[$"secrets/s/{v1}"];
        var r2 = _store.Versions[$"secrets/s/{v2}"];

        _store.Versions[r1.Key] = r1 with { Sealed = r2.Sealed, Attributes = r2.Attributes };

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync("s", v1).AsTask()).Should().ThrowAsync<VaultIntegrityException>();
            (await v.Secrets.GetSecretAsync("s", v2)).Value.Should().Be("second");
        });
    }

    [Fact]
    public async Task A_stored_sequence_edited_to_promote_an_older_version_fails_integrity()
    {
        string v1 = null!;
        await WithVaultAsync(async v =>
        {
            v1 = (await v.Secrets.SetSecretAsync("s", "first")).Properties.Version!;
            await v.Secrets.SetSecretAsync("s", "second");
        });
        var older = _store.Versions[$"secrets/s/{v1}"];

        _store.Versions[older.Key] = older with { Sequence = 99 };

        await ExpectIntegrityFailureAsync("s", "the stored sequence disagrees with the authenticated one");
    }

    [Fact]
    public async Task Undeleting_a_secret_by_editing_its_record_fails_integrity()
    {
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("s", "deleted-value");
            await v.Secrets.DeleteSecretAsync("s");
        });

        _store.Objects["secrets/s"] = _store.Objects["secrets/s"] with { DeletedOn = null, ScheduledPurgeDate = null };

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync("s").AsTask()).Should().ThrowAsync<VaultIntegrityException>();
            await FluentActions.Awaiting(() => v.Secrets.GetPropertiesOfSecretsAsync().ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>();
        });
    }

    [Fact]
    public async Task An_edited_purge_date_cannot_purge_under_purge_protection()
    {
        await WithVaultAsync(async v =>
        {
            await v.EnablePurgeProtectionAsync();
            await v.Secrets.SetSecretAsync("s", "protected");
            await v.Secrets.DeleteSecretAsync("s");
        });

        _store.Objects["secrets/s"] = _store.Objects["secrets/s"] with { ScheduledPurgeDate = 0 };

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.PurgeDeletedSecretAsync("s")).Should().ThrowAsync<VaultIntegrityException>();
            await FluentActions.Awaiting(() => v.PurgeDueDeletedObjectsAsync()).Should().ThrowAsync<VaultIntegrityException>();
        });
        _store.Versions.Should().NotBeEmpty("nothing was purged");
    }

    [Fact]
    public async Task Turning_purge_protection_off_in_the_header_makes_the_vault_refuse_to_open()
    {
        await WithVaultAsync(v => v.EnablePurgeProtectionAsync());

        _store.Header = _store.Header! with { PurgeProtection = false };

        var options = TestVaults.Options(_dir.File("vault.db"), _key);
        options.StoreFactory = _ => _store;
        await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(options)).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task A_record_moved_to_another_name_fails_integrity()
    {
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("source", "moved-value");
            await v.Secrets.SetSecretAsync("target", "original");
        });
        var source = _store.Versions.Values.Single(r => r.Key.StartsWith("secrets/source/", StringComparison.Ordinal));
        var original = _store.Versions.Values.Single(r => r.Key.StartsWith("secrets/target/", StringComparison.Ordinal));
        var movedKey = $"secrets/target/{source.Version}";

        _store.Versions.Remove(original.Key);
        _store.Versions[movedKey] = source with { Key = movedKey };

        await ExpectIntegrityFailureAsync("target", "source's record was moved under target");
    }

    [Fact]
    public async Task A_record_from_another_vault_fails_integrity()
    {
        await WithVaultAsync(v => v.Secrets.SetSecretAsync("s", "mine"));
        var otherStore = new InMemoryRecordStore();
        var otherOptions = TestVaults.Options(_dir.File("other.db"), _key);
        otherOptions.StoreFactory = _ => otherStore;
        await using (var other = await EmbeddedVault.OpenAsync(otherOptions))
        {
            await other.Secrets.SetSecretAsync("s", "theirs");
        }

        var theirs = otherStore.Versions.Values.Single();
        _store.Versions.Remove(_store.Versions.Values.Single().Key);
        _store.Versions[theirs.Key] = theirs;

        await ExpectIntegrityFailureAsync("s", "the record was sealed in another vault");
    }

    [Fact]
    public void The_vault_id_alone_tells_two_vaults_records_apart()
    {
        // Same key-encryption key, same name and version: only the vault id in the associated data differs.
        using var ring = new KeyEncryptionKeyRing();
        ring.Add(1, KeyMaterial.NewKey());
        ring.SetCurrent(1);
        var identity = new RecordIdentity(ObjectType.Secret, "s", new string('a', 32));
        var sealedByA = new RecordSealer(Guid.NewGuid(), ring).Seal(identity, "{}"u8, "value"u8);

        var unsealInB = () => new RecordSealer(Guid.NewGuid(), ring).Unseal(identity, "{}"u8, sealedByA, new byte[5]);

        unsealInB.Should().Throw<System.Security.Cryptography.CryptographicException>();
    }

    [Fact]
    public async Task A_seeded_random_walk_of_tampering_never_returns_other_data()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        await WithVaultAsync(async v =>
        {
            for (var i = 0; i < 5; i++)
            {
                await v.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
            }
        });
        var originals = _store.Versions.ToDictionary(p => p.Key, p => p.Value);

        for (var round = 0; round < 50; round++)
        {
            foreach (var (k, v) in originals)
            {
                _store.Versions[k] = v;
            }

            var victim = originals.Keys.ElementAt(random.Next(originals.Count));
            var record = originals[victim];
            var tampered = record.Sealed.ToArray();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                tampered[random.Next(tampered.Length)] ^= (byte)random.Next(1, 256);
            }

            _store.Versions[victim] = record with { Sealed = tampered };
            await WithVaultAsync(async v =>
            {
                for (var i = 0; i < 5; i++)
                {
                    var name = $"s{i}";
                    if (victim.StartsWith($"secrets/{name}/", StringComparison.Ordinal))
                    {
                        await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync(name).AsTask()).Should()
                            .ThrowAsync<VaultIntegrityException>($"seed {seed}, round {round}");
                    }
                    else
                    {
                        (await v.Secrets.GetSecretAsync(name)).Value.Should().Be($"value-{i}");
                    }
                }
            });
        }
    }

    [Fact]
    public async Task Swapping_records_inside_the_LiteDB_file_fails_integrity_on_read()
    {
        var path = _dir.File("vault.db");
        await using (var vault = await TestVaults.OpenAsync(path, _key))
        {
            await vault.Secrets.SetSecretAsync("a", "value-a");
            await vault.Secrets.SetSecretAsync("b", "value-b");
        }

        using (var db = new LiteDatabase($"Filename={path}"))
        {
            var versions = db.GetCollection("versions");
            var docs = versions.FindAll().ToList();
            (docs[0]["sealed"], docs[1]["sealed"]) = (docs[1]["sealed"], docs[0]["sealed"]);
            versions.Update(docs[0]);
            versions.Update(docs[1]);
        }

        await using var reopened = await TestVaults.OpenAsync(path, _key);
        var error = (await FluentActions.Awaiting(() => reopened.Secrets.GetSecretAsync("a").AsTask()).Should().ThrowAsync<VaultIntegrityException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        error.Message.Should().NotContain("value-");
        await FluentActions.Awaiting(() => reopened.Secrets.GetSecretAsync("b").AsTask()).Should().ThrowAsync<VaultIntegrityException>();
    }

    private async Task ExpectIntegrityFailureAsync(string name, string because) =>
        await WithVaultAsync(async v =>
        {
            var error = (await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync(name).AsTask()).Should().ThrowAsync<VaultIntegrityException>(because)).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        });

    private async Task WithVaultAsync(Func<EmbeddedVault, Task> action)
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key);
        options.StoreFactory = _ => _store;
        await using var vault = await EmbeddedVault.OpenAsync(options);
        await action(vault);
    }
}
