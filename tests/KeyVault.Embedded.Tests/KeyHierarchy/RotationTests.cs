using KeyVault.Embedded.Records;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.KeyHierarchy;

public sealed class RotationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string VaultPath => _dir.File("vault.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Rotating_to_a_root_that_derives_a_short_key_is_refused_by_name_and_the_old_root_still_opens()
    {
        var oldKey = TestVaults.NewKey();
        await using (var vault = await TestVaults.OpenAsync(VaultPath, oldKey))
        {
            await vault.Secrets.SetSecretAsync("kept", "1");

            var error = (await FluentActions.Awaiting(() => vault.RotateRootKeyAsync(new ShortDerivingRoot(SoftwareRootKey.FromBytes(TestVaults.NewKey()))))
                .Should().ThrowAsync<VaultException>()).Which;

            error.ErrorCode.Should().Be(VaultErrorCode.RootKeyUnavailable, "as at open; before, an ArgumentException came out of HKDF");
            (await vault.Secrets.GetSecretAsync("kept")).Value.Should().Be("1");
        }

        await using var reopened = await TestVaults.OpenAsync(VaultPath, oldKey);
        (await reopened.Secrets.GetSecretAsync("kept")).Value.Should().Be("1");
    }

    /// <summary>A root whose derived keys are 16 bytes: a broken provider.</summary>
    private sealed class ShortDerivingRoot(IRootKeyProvider inner) : IRootKeyProvider
    {
        public string Kind => inner.Kind;

        public async ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default) =>
            new Opened(await inner.OpenAsync(context, cancellationToken));

        private sealed class Opened(IRootKey key) : IRootKey
        {
            public IReadOnlyDictionary<string, string> Parameters => key.Parameters;

            public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> material, CancellationToken cancellationToken = default) => key.WrapKeyAsync(material, cancellationToken);

            public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default) => key.UnwrapKeyAsync(wrappedKey, cancellationToken);

            public async ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default) =>
                (await key.DeriveKeyAsync(context, cancellationToken))[..16];

            public void Dispose() => key.Dispose();
        }
    }

    [Fact]
    public async Task Root_rotation_keeps_data_readable_and_the_old_root_no_longer_opens_the_vault()
    {
        var oldKey = TestVaults.NewKey();
        var newKey = TestVaults.NewKey();
        await using (var vault = await TestVaults.OpenAsync(VaultPath, oldKey))
        {
            await vault.Secrets.SetSecretAsync("before", "1");
            await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(newKey));
            await vault.Secrets.SetSecretAsync("after", "2");
            (await vault.Secrets.GetSecretAsync("before")).Value.Should().Be("1");
        }

        (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, oldKey)).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        await using var reopened = await TestVaults.OpenAsync(VaultPath, newKey);
        (await reopened.Secrets.GetSecretAsync("before")).Value.Should().Be("1");
        (await reopened.Secrets.GetSecretAsync("after")).Value.Should().Be("2");
    }

    [Fact]
    public async Task Root_rotation_rewraps_only_the_key_encryption_keys()
    {
        var store = new InMemoryRecordStore();
        var options = TestVaults.Options(VaultPath, TestVaults.NewKey());
        options.StoreFactory = _ => store;
        await using var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("s", "v");
        var version = StoredRecords.Versions(store.Records, "secrets/s").Single().Key;
        var sealedBefore = store.Records[version];
        var wrappedBefore = store.Records["kek/00000001"];
        var commitsBefore = store.Commits;

        await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()));

        store.Commits.Should().Be(commitsBefore + 1, "one transaction");
        store.Records[version].Should().Equal(sealedBefore, "records are not re-encrypted");
        StoredRecords.WrappedKey(store.Records["kek/00000001"]).Should().NotEqual(StoredRecords.WrappedKey(wrappedBefore));
    }

    [Fact]
    public async Task Root_rotation_removes_the_keys_wrapped_by_the_old_root_from_the_files_at_once()
    {
        SpyRecordStore spy = null!;
        var options = TestVaults.Options(VaultPath, TestVaults.NewKey());
        options.StoreFactory = path => spy = new SpyRecordStore(LiteDbRecordStore.Open(path));
        await using var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("s", "v");
        await vault.RotateKeyEncryptionKeyAsync();
        var oldWrapped = (await spy.Inner.ReadRangeAsync(RecordIds.FirstKek, RecordIds.LastKek)).Select(k => StoredRecords.WrappedKey(k.Value)).ToList();
        RawFile.Snapshot(_dir.Path).Values.Should().Contain(file => oldWrapped.Any(w => Files.Contains(file, w)), "the check sees wrapped keys that are there");

        await vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()));

        foreach (var file in RawFile.Snapshot(_dir.Path).Values)
        {
            oldWrapped.Should().NotContain(w => Files.Contains(file, w), "a copy of the file plus the old root must not open the vault");
        }
    }

    [Fact]
    public async Task A_vault_can_move_from_a_key_to_a_passphrase_root()
    {
        var key = TestVaults.NewKey();
        await using (var vault = await TestVaults.OpenAsync(VaultPath, key))
        {
            await vault.Secrets.SetSecretAsync("s", "v");
            await vault.RotateRootKeyAsync(SoftwareRootKey.FromPassphrase("a long passphrase"));
            vault.Properties.RootKind.Should().Be(SoftwareRootKey.PassphraseKind);
        }

        await using var reopened = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("a long passphrase") });
        (await reopened.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task A_new_key_encryption_key_reseals_every_record_and_retires_the_old_one()
    {
        var key = TestVaults.NewKey();
        var store = new InMemoryRecordStore();
        var options = TestVaults.Options(VaultPath, key);
        options.StoreFactory = _ => store;
        var reports = new List<VaultProgress>();
        await using (var vault = await EmbeddedVault.OpenAsync(options))
        {
            await vault.Secrets.SetSecretAsync("old", "1");
            (await vault.RotateKeyEncryptionKeyAsync(new Progress(reports))).Should().Be(2);
            (await vault.Secrets.GetSecretAsync("old")).Value.Should().Be("1", "no downtime: old records read on");
            await vault.Secrets.SetSecretAsync("new", "2");
            vault.Properties.KeyEncryptionKeyVersion.Should().Be(2);
        }

        reports.Should().NotBeEmpty().And.Subject.Last().Completed.Should().Be(1, "one version was re-sealed");
        StoredRecords.Versions(store.Records, "secrets/old").Concat(StoredRecords.Versions(store.Records, "secrets/new"))
            .Select(p => StoredRecords.KekVersion(StoredRecords.Version(p.Value).Sealed)).Should().AllBeEquivalentTo(2);
        store.Records.Keys.Where(k => k.StartsWith("kek/", StringComparison.Ordinal)).Should().Equal("kek/00000002");
        options.RootKey = SoftwareRootKey.FromBytes(key);
        await using var reopened = await EmbeddedVault.OpenAsync(options);
        (await reopened.Secrets.GetSecretAsync("old")).Value.Should().Be("1");
        (await reopened.Secrets.GetSecretAsync("new")).Value.Should().Be("2");
    }

    [Fact]
    public async Task After_retirement_the_old_key_encryption_key_can_neither_read_nor_forge_anything()
    {
        var key = TestVaults.NewKey();
        var store = new InMemoryRecordStore();
        var options = TestVaults.Options(VaultPath, key);
        options.StoreFactory = _ => store;
        await using (var vault = await EmbeddedVault.OpenAsync(options))
        {
            await vault.Secrets.SetSecretAsync("s", "sealed-under-kek-1");
        }

        // What someone who stole KEK 1 kept: the files as they were, every record sealed or MAC'd under it.
        var leaked = store.Snapshot();
        await using (var vault = await EmbeddedVault.OpenAsync(options))
        {
            await vault.RotateKeyEncryptionKeyAsync();
            await vault.Secrets.SetSecretAsync("s", "after-rotation");
        }

        var rotated = store.Snapshot();
        var replays = leaked.Where(p => p.Key.StartsWith("kek/", StringComparison.Ordinal) || p.Key.StartsWith("secrets/s/", StringComparison.Ordinal) || p.Key.StartsWith("~manifest/", StringComparison.Ordinal) || p.Key == "vault")
            .Where(p => !rotated.TryGetValue(p.Key, out var now) || !now.SequenceEqual(p.Value))
            .ToList();
        replays.Should().Contain(p => p.Key == "kek/00000001", "the old wrap is among what was kept");
        replays.Should().Contain(p => p.Key.StartsWith("~manifest/", StringComparison.Ordinal), "buckets MAC'd under the old commit key too");

        foreach (var (recordKey, bytes) in replays)
        {
            store.Restore(rotated);
            store.Records[recordKey] = bytes;
            await using var vault = await OpenOrNullAsync(options, recordKey);
            if (vault is not null)
            {
                // The open did not need the record: reading it must fail, or give exactly today's value.
                try
                {
                    (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("after-rotation", $"{recordKey} put back must not bring back KEK 1's data");
                    foreach (var version in leaked.Keys.Where(k => k.StartsWith("secrets/s/", StringComparison.Ordinal)))
                    {
                        await FluentActions.Awaiting(() => vault.Secrets.GetSecretAsync("s", version[(version.LastIndexOf('/') + 1)..]))
                            .Should().ThrowAsync<VaultException>($"{recordKey} put back");
                    }
                }
                catch (VaultIntegrityException)
                {
                }
            }
        }

        store.Restore(rotated);
        store.Records.Keys.Should().NotContain("kek/00000001");
        await using var clean = await EmbeddedVault.OpenAsync(options);
        (await clean.Secrets.GetSecretAsync("s")).Value.Should().Be("after-rotation");
    }

    private static async Task<EmbeddedVault?> OpenOrNullAsync(EmbeddedVaultOptions options, string replayed)
    {
        try
        {
            return await EmbeddedVault.OpenAsync(options);
        }
        catch (VaultIntegrityException)
        {
            return null;
        }
        catch (VaultException ex)
        {
            throw new InvalidOperationException($"Putting back {replayed} gave {ex.ErrorCode}, not an integrity error.", ex);
        }
    }

    [Fact]
    public async Task Reads_continue_while_key_encryption_keys_rotate()
    {
        await using var vault = await TestVaults.OpenAsync(VaultPath, TestVaults.NewKey());
        await vault.Secrets.SetSecretAsync("s", "v");
        using var stop = new CancellationTokenSource();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var reader = Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
                reads++;
                reading.TrySetResult();
            }

            return reads;
        });
        await reading.Task;
        for (var i = 0; i < 5; i++)
        {
            await vault.RotateKeyEncryptionKeyAsync();
            await vault.Secrets.SetSecretAsync($"n{i}", $"{i}");
        }

        await stop.CancelAsync();
        (await reader).Should().BeGreaterThan(0);
        vault.Properties.KeyEncryptionKeyVersion.Should().Be(6);
    }

    private sealed class Progress(List<VaultProgress> reports) : IProgress<VaultProgress>
    {
        public void Report(VaultProgress value) => reports.Add(value);
    }
}
