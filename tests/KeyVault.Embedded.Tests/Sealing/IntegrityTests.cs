using System.Text;
using System.Text.Json.Nodes;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using LiteDB;

namespace KeyVault.Embedded.Tests.Sealing;

/// <summary>
/// Records are bound to where they belong and what they say, and the set of records is authenticated: moved, swapped,
/// edited, removed or replayed, they fail to read; they never read as other data, as "not found", or as a shorter list.
/// </summary>
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
        var key = VersionKeys("secrets/s").Single();
        var original = _store.Records[key];
        var (attributes, sealedPayload) = StoredRecords.Version(original);

        for (var position = 0; position < sealedPayload.Length; position++)
        {
            var tampered = sealedPayload.ToArray();
            tampered[position] ^= 0x01;
            _store.Records[key] = StoredRecords.Version(attributes, tampered);

            await ExpectIntegrityFailureAsync("s", $"byte {position} of the envelope was flipped");
        }

        _store.Records[key] = original;
        await WithVaultAsync(async v => (await v.Secrets.GetSecretAsync("s")).Value.Should().Be("sensitive"));
    }

    [Fact]
    public async Task Flipping_any_single_byte_of_the_stored_attributes_fails_integrity_on_every_read_path()
    {
        await WithVaultAsync(v =>
        {
            var secret = new KeyVaultSecret("s", "sensitive");
            secret.Properties.Tags["owner"] = "team";
            secret.Properties.ContentType = "text/plain";
            return v.Secrets.SetSecretAsync(secret);
        });
        var key = VersionKeys("secrets/s").Single();
        var (attributes, sealedPayload) = StoredRecords.Version(_store.Records[key]);

        for (var position = 0; position < attributes.Length; position += 3)
        {
            var tampered = attributes.ToArray();
            tampered[position] ^= 0x01;
            _store.Records[key] = StoredRecords.Version(tampered, sealedPayload);

            await ExpectIntegrityFailureAsync("s", $"byte {position} of the attributes was flipped");
            await WithVaultAsync(async v =>
            {
                // Listings read attributes without unsealing: they are checked all the same.
                await FluentActions.Awaiting(() => v.Secrets.GetPropertiesOfSecretsAsync().ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>();
                await FluentActions.Awaiting(() => v.Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>();
            });
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
        var a = VersionKeys("secrets/a").Single();
        var b = VersionKeys("secrets/b").Single();

        (_store.Records[a], _store.Records[b]) = (_store.Records[b], _store.Records[a]);

        await ExpectIntegrityFailureAsync("a", "a holds b's record");
        await ExpectIntegrityFailureAsync("b", "b holds a's record");
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

        _store.Records[$"secrets/s/{v1}"] = _store.Records[$"secrets/s/{v2}"];

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync("s", v1)).Should().ThrowAsync<VaultIntegrityException>();
            (await v.Secrets.GetSecretAsync("s", v2)).Value.Should().Be("second");
        });
    }

    [Fact]
    public async Task Deleting_the_newest_version_record_does_not_roll_the_secret_back()
    {
        string v2 = null!;
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("s", "old-password");
            v2 = (await v.Secrets.SetSecretAsync("s", "new-password")).Properties.Version!;
        });

        _store.Records.Remove($"secrets/s/{v2}");

        await ExpectIntegrityFailureAsync("s", "the current version's record is gone: that is damage, not the older version");
        await WithVaultAsync(async v =>
            await FluentActions.Awaiting(() => v.Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>());
    }

    [Fact]
    public async Task Putting_back_an_older_copy_of_a_version_record_fails_integrity()
    {
        string version = null!;
        Dictionary<string, byte[]> before = null!;
        await WithVaultAsync(async v =>
        {
            version = (await v.Secrets.SetSecretAsync("s", "compromised")).Properties.Version!;
            before = _store.Snapshot();
            await v.Secrets.UpdateSecretPropertiesAsync(new SecretProperties("s") { Enabled = false });
        });

        _store.Records[$"secrets/s/{version}"] = before[$"secrets/s/{version}"];

        await ExpectIntegrityFailureAsync("s", "the enabled copy from before the disable was put back");
    }

    [Fact]
    public async Task Removing_an_object_record_is_an_integrity_error_not_a_missing_secret()
    {
        await WithVaultAsync(async v =>
        {
            for (var i = 0; i < 20; i++)
            {
                await v.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
            }
        });

        _store.Records.Remove("secrets/s7");

        await ExpectIntegrityFailureAsync("s7", "the record is listed by the manifest");
        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetPropertiesOfSecretsAsync().ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>("a listing never silently shortens");
            (await v.Secrets.GetSecretAsync("s3")).Value.Should().Be("value-3");
        });
    }

    [Fact]
    public async Task A_record_added_behind_the_vaults_back_does_not_exist_for_it()
    {
        await WithVaultAsync(v => v.Secrets.SetSecretAsync("s", "v"));
        var version = VersionKeys("secrets/s").Single();

        _store.Records["secrets/planted"] = _store.Records["secrets/s"];
        _store.Records[$"secrets/planted/{version[^32..]}"] = _store.Records[version];

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync("planted")).Should().ThrowAsync<VaultObjectNotFoundException>();
            (await v.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => p.Name).Should().Equal("s");
        });
    }

    [Fact]
    public async Task Undeleting_a_secret_by_putting_back_its_object_record_fails_integrity()
    {
        Dictionary<string, byte[]> before = null!;
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("s", "deleted-value");
            before = _store.Snapshot();
            await v.Secrets.StartDeleteSecretAsync("s");
        });

        _store.Records["secrets/s"] = before["secrets/s"];

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultIntegrityException>();
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
            await v.Secrets.StartDeleteSecretAsync("s");
        });

        EditJson("secrets/s", body => body["purge"] = 0);

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Secrets.PurgeDeletedSecretAsync("s")).Should().ThrowAsync<VaultIntegrityException>();
            await FluentActions.Awaiting(() => v.PurgeDueDeletedObjectsAsync()).Should().ThrowAsync<VaultIntegrityException>();
        });
        VersionKeys("secrets/s").Should().NotBeEmpty("nothing was purged");
    }

    [Fact]
    public async Task Turning_purge_protection_off_in_the_header_makes_the_vault_refuse_to_open()
    {
        await WithVaultAsync(v => v.EnablePurgeProtectionAsync());

        EditJson("vault", body => body["purgeProtection"] = false);

        await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task Replaying_an_older_header_to_turn_purge_protection_off_makes_the_vault_refuse_to_open()
    {
        byte[] before = null!;
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("s", "v");
            before = _store.Records["vault"];
            await v.EnablePurgeProtectionAsync();
        });

        _store.Records["vault"] = before;

        await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task Editing_removing_or_replaying_a_manifest_bucket_makes_the_vault_refuse_to_open()
    {
        Dictionary<string, byte[]> first = null!, beforeLast = null!;
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("a", "1");
            first = _store.Snapshot();
            await v.Secrets.SetSecretAsync("a", "2");
            beforeLast = _store.Snapshot();
            await v.Secrets.SetSecretAsync("b", "3");
        });
        var pristine = _store.Snapshot();
        var changed = pristine.Keys.Where(k => k.StartsWith("~manifest/", StringComparison.Ordinal) && !pristine[k].SequenceEqual(first[k])).ToList();
        var buckets = changed.Concat(pristine.Keys.Where(k => k.StartsWith("~manifest/", StringComparison.Ordinal)).Take(3)).Distinct().ToList();
        changed.Should().HaveCountGreaterThanOrEqualTo(2, "the buckets of a's second version and of b changed since the first snapshot");

        foreach (var bucket in buckets)
        {
            _store.Restore(pristine);
            _store.Records[bucket] = Flip(_store.Records[bucket], _store.Records[bucket].Length - 1);
            await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultIntegrityException>($"bucket {bucket} was edited");

            // Every bucket exists from the vault's first commit on: a missing one is never taken for one not made yet.
            _store.Restore(pristine);
            _store.Records.Remove(bucket);
            await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultIntegrityException>($"bucket {bucket} was removed");

            // An older copy of a bucket the last commit did not touch mixes two states. (Putting back the previous copy of
            // the one bucket the last commit wrote undoes exactly that commit: a rollback, which only an anchor tells;
            // see the rollback tests.)
            if (first.TryGetValue(bucket, out var older) && !older.SequenceEqual(pristine[bucket]) && beforeLast[bucket].SequenceEqual(pristine[bucket]))
            {
                _store.Restore(pristine);
                _store.Records[bucket] = older;
                await FluentActions.Awaiting(() => OpenAsync()).Should().ThrowAsync<VaultIntegrityException>($"bucket {bucket} was replayed");
            }
        }
    }

    [Fact]
    public async Task A_substituted_public_key_is_never_handed_out()
    {
        await WithVaultAsync(v => v.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions("signing")));
        var key = VersionKeys("keys/signing").Single();
        var attacker = System.Security.Cryptography.RSA.Create(2048).ExportParameters(false);

        EditAttributes(key, attributes => attributes["key"]!["n"] = System.Buffers.Text.Base64Url.EncodeToString(attacker.Modulus));

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Keys.GetKeyAsync("signing")).Should().ThrowAsync<VaultIntegrityException>();
            await FluentActions.Awaiting(() => v.Keys.GetPropertiesOfKeysAsync().ToListAsync().AsTask()).Should().ThrowAsync<VaultIntegrityException>();
        });
    }

    [Fact]
    public async Task A_key_edited_to_be_weaker_does_not_rotate_into_a_weaker_key()
    {
        await WithVaultAsync(v => v.Keys.CreateOctKeyAsync(new CreateOctKeyOptions("wrapping") { KeySize = 256, KeyOperations = { KeyOperation.Encrypt, KeyOperation.Decrypt } }));
        var key = VersionKeys("keys/wrapping").Single();

        EditAttributes(key, attributes =>
        {
            attributes["key"]!["size"] = 128;
            attributes["key"]!["ops"]!.AsArray().Add("wrapKey");
        });

        await WithVaultAsync(async v =>
        {
            await FluentActions.Awaiting(() => v.Keys.RotateKeyAsync("wrapping")).Should().ThrowAsync<VaultIntegrityException>();
            await FluentActions.Awaiting(() => v.Keys.ApplyRotationPoliciesAsync()).Should().ThrowAsync<VaultIntegrityException>();
        });
        VersionKeys("keys/wrapping").Should().HaveCount(1, "nothing was rotated");
    }

    [Fact]
    public async Task A_record_moved_to_another_name_fails_integrity()
    {
        await WithVaultAsync(async v =>
        {
            await v.Secrets.SetSecretAsync("source", "moved-value");
            await v.Secrets.SetSecretAsync("target", "original");
        });
        var source = VersionKeys("secrets/source").Single();
        var target = VersionKeys("secrets/target").Single();

        _store.Records[target] = _store.Records[source];

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

        _store.Records[VersionKeys("secrets/s").Single()] = otherStore.Records[StoredRecords.Versions(otherStore.Records, "secrets/s").Single().Key];

        await ExpectIntegrityFailureAsync("s", "the record was sealed in another vault");
    }

    [Fact]
    public void The_vault_id_alone_tells_two_vaults_sealed_payloads_apart()
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
        var pristine = _store.Snapshot();
        var victims = pristine.Keys.Where(k => k.StartsWith("secrets/", StringComparison.Ordinal)).ToList();

        for (var round = 0; round < 50; round++)
        {
            _store.Restore(pristine);
            var victim = victims[random.Next(victims.Count)];
            var tampered = _store.Records[victim].ToArray();
            for (var f = random.Next(1, 4); f > 0; f--)
            {
                tampered[random.Next(tampered.Length)] ^= (byte)random.Next(1, 256);
            }

            _store.Records[victim] = tampered;
            await WithVaultAsync(async v =>
            {
                for (var i = 0; i < 5; i++)
                {
                    var name = $"s{i}";
                    if (RecordKeysOf(victim) == $"secrets/{name}")
                    {
                        await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync(name)).Should()
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
            var records = db.GetCollection("records");
            var docs = records.FindAll().Where(d => d["k"].AsString.StartsWith("secrets/", StringComparison.Ordinal) && d["k"].AsString.Count(c => c == '/') == 2).ToList();
            (docs[0]["v"], docs[1]["v"]) = (docs[1]["v"], docs[0]["v"]);
            records.Update(docs[0]);
            records.Update(docs[1]);
        }

        // An edit outside the vault fails the page checksums (and LiteDB removed the log on close): the open refuses.
        (await FluentActions.Awaiting(() => TestVaults.OpenAsync(path, _key)).Should().ThrowAsync<VaultIntegrityException>()).Which.Message.Should().NotContain("value-");

        // Someone who also restores the log and removes the page checksums gets no further: the records fail their own checks.
        Files.WriteOwnerOnly(Files.LogOf(path), []);
        File.Delete(KeyVault.Embedded.Storage.DataFileStream.ChecksumPath(Path.GetFullPath(path)));
        await using var reopened = await TestVaults.OpenAsync(path, _key);
        var error = (await FluentActions.Awaiting(() => reopened.Secrets.GetSecretAsync("a")).Should().ThrowAsync<VaultIntegrityException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        error.Message.Should().NotContain("value-");
        await FluentActions.Awaiting(() => reopened.Secrets.GetSecretAsync("b")).Should().ThrowAsync<VaultIntegrityException>();
    }

    private static string RecordKeysOf(string key) => key.Count(c => c == '/') == 2 ? key[..key.LastIndexOf('/')] : key;

    private static byte[] Flip(byte[] value, int position)
    {
        var copy = value.ToArray();
        copy[position] ^= 0x01;
        return copy;
    }

    private IEnumerable<string> VersionKeys(string objectKey) => StoredRecords.Versions(_store.Records, objectKey).Select(p => p.Key).ToList();

    /// <summary>Edits a JSON record (the header, an object) as an attacker with the file would, keeping its kind prefix.</summary>
    private void EditJson(string key, Action<JsonObject> edit)
    {
        var value = _store.Records[key];
        var body = JsonNode.Parse(value.AsSpan(2))!.AsObject();
        edit(body);
        _store.Records[key] = [.. value.AsSpan(0, 2), .. Encoding.UTF8.GetBytes(body.ToJsonString())];
    }

    private void EditAttributes(string versionKey, Action<JsonObject> edit)
    {
        var (attributes, sealedPayload) = StoredRecords.Version(_store.Records[versionKey]);
        var json = JsonNode.Parse(attributes)!.AsObject();
        edit(json);
        _store.Records[versionKey] = StoredRecords.Version(Encoding.UTF8.GetBytes(json.ToJsonString()), sealedPayload);
    }

    private async Task ExpectIntegrityFailureAsync(string name, string because) =>
        await WithVaultAsync(async v =>
        {
            var error = (await FluentActions.Awaiting(() => v.Secrets.GetSecretAsync(name)).Should().ThrowAsync<VaultIntegrityException>(because)).Which;
            error.ErrorCode.Should().Be(VaultErrorCode.IntegrityCheckFailed);
        });

    private Task<EmbeddedVault> OpenAsync()
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key);
        options.StoreFactory = _ => _store;
        return EmbeddedVault.OpenAsync(options);
    }

    private async Task WithVaultAsync(Func<EmbeddedVault, Task> action)
    {
        await using var vault = await OpenAsync();
        await action(vault);
    }
}
