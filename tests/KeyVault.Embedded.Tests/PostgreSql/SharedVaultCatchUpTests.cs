using KeyVault.Embedded.Access;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.PostgreSql;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// An instance catches up by reading only the manifest buckets written since its generation, with its own buckets for
/// the rest of the table: it then holds exactly what a full load of the database gives (splits of the table, deletes,
/// purges, new versions and settings included), and a bucket the database leaves out or puts back older is never taken.
/// </summary>
public sealed class SharedVaultCatchUpTests(PostgreSqlCluster cluster) : SharedVaultTestBase(cluster)
{
    private const string Records = "keyvault_embedded.records";

    [Fact]
    public async Task A_catch_up_from_the_buckets_written_since_gives_the_manifest_a_full_load_gives_through_splits_deletes_and_purges()
    {
        var writer = await OpenInstanceAsync();
        var reader = await OpenDeafAsync();
        await writer.Secrets.SetSecretAsync("first", "v");
        await reader.RefreshAsync();
        var bucketsAtStart = reader.Core.Manifest.BucketCount;

        for (var round = 0; round < 5; round++)
        {
            // Enough new secrets that the table splits (64 buckets hold 2,048 entries before the first split).
            await Task.WhenAll(Enumerable.Range(0, 8).Select(loop => Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++)
                {
                    await writer.Secrets.SetSecretAsync($"r{round}-{loop}-{i}", "value");
                }
            })));
            await writer.Secrets.SetSecretAsync("first", $"version {round + 2}");
            await writer.Secrets.UpdateSecretPropertiesAsync(new KeyVault.Embedded.Secrets.SecretProperties($"r{round}-0-0") { ContentType = "text/plain" });
            await writer.Secrets.StartDeleteSecretAsync($"r{round}-1-0");
            await writer.Secrets.StartDeleteSecretAsync($"r{round}-1-1");
            await writer.Secrets.PurgeDeletedSecretAsync($"r{round}-1-1");
            await writer.Keys.CreateEcKeyAsync(new CreateEcKeyOptions($"key-{round}"));
            await writer.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret($"r{round}-0-0"), KeyVaultRoles.SecretsUser.Id, $"app-{round}");

            var partial = reader.Core.Sync!.PartialCatchUps;
            await reader.RefreshAsync();
            reader.Core.Sync.PartialCatchUps.Should().Be(partial + 1, "the catch-up read only the buckets written since");
            Describe(reader.Core.Manifest).Should().Equal(Describe(writer.Core.Manifest), $"round {round}: the caught-up manifest is the writer's");
        }

        reader.Core.Manifest.BucketCount.Should().BeGreaterThan(bucketsAtStart, "the table split meanwhile");
        (await reader.Secrets.GetSecretAsync("first")).Value.Should().Be("version 6");
        await FluentActions.Awaiting(() => reader.Secrets.GetSecretAsync("r0-1-0")).Should().ThrowAsync<VaultException>();
        (await reader.Secrets.GetDeletedSecretAsync("r0-1-0")).Name.Should().Be("r0-1-0");
        await FluentActions.Awaiting(() => reader.Secrets.GetDeletedSecretAsync("r0-1-1")).Should().ThrowAsync<VaultException>();
        (await reader.Secrets.GetSecretAsync("r4-0-0")).Properties.ContentType.Should().Be("text/plain");

        // The writer catches up from the reader's commit in the same way: the digests of its own commits' buckets hold.
        var writerPartial = writer.Core.Sync!.PartialCatchUps;
        await reader.Secrets.SetSecretAsync("from-the-reader", "v");
        await writer.RefreshAsync(); // or its listener heard it first: one catch-up either way
        writer.Core.Sync.PartialCatchUps.Should().Be(writerPartial + 1);
        Describe(writer.Core.Manifest).Should().Equal(Describe(reader.Core.Manifest));

        // A fresh instance loads every bucket: the same manifest.
        var fresh = await OpenDeafAsync();
        Describe(fresh.Core.Manifest).Should().Equal(Describe(reader.Core.Manifest));
    }

    [Fact]
    public async Task An_older_copy_of_a_rewritten_bucket_put_back_is_found_and_the_view_stays_as_it_was()
    {
        var writer = await OpenInstanceAsync();
        var reader = await OpenDeafAsync();
        for (var i = 0; i < 30; i++)
        {
            await writer.Secrets.SetSecretAsync($"s{i}", "one");
        }

        await reader.RefreshAsync();
        var saved = "buckets_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {saved} AS SELECT * FROM {Records} WHERE vault = '{VaultName}' AND key LIKE '~manifest/%'");
        for (var i = 0; i < 30; i++)
        {
            await writer.Secrets.SetSecretAsync($"s{i}", "two");
        }

        // An older copy (its MAC good, its generation old, so the catch-up's read of what is new leaves it out).
        await Cluster.ExecuteAsync($"UPDATE {Records} r SET value = s.value FROM {saved} s WHERE r.vault = s.vault AND r.id = s.id AND r.id = (SELECT min(r2.id) FROM {Records} r2 JOIN {saved} s2 ON r2.vault = s2.vault AND r2.id = s2.id WHERE r2.value <> s2.value)");
        var before = Describe(reader.Core.Manifest);
        var generation = reader.Core.Generation;

        await FluentActions.Awaiting(() => reader.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        reader.Core.Generation.Should().Be(generation);
        Describe(reader.Core.Manifest).Should().Equal(before, "nothing of a failed catch-up becomes the view");
        reader.Core.Sync!.PartialCatchUps.Should().Be(1, "only the first catch-up could be made from what was new");
    }

    [Fact]
    public async Task A_rewritten_bucket_whose_generation_was_edited_to_look_old_is_found()
    {
        var writer = await OpenInstanceAsync();
        var reader = await OpenDeafAsync();
        await writer.Secrets.SetSecretAsync("s", "one");
        await reader.RefreshAsync();
        await writer.Secrets.SetSecretAsync("s", "two");

        // The newest buckets' generation bytes zeroed: the store's filter no longer returns them.
        await Cluster.ExecuteAsync($"UPDATE {Records} SET value = overlay(value placing '\\x0000000000000000'::bytea from {ManifestBucket.GenerationOffset + 1} for 8) WHERE vault = '{VaultName}' AND key LIKE '~manifest/%' AND substring(value from {ManifestBucket.GenerationOffset + 1} for 8) = (SELECT substring(value from {ManifestBucket.GenerationOffset + 1} for 8) AS g FROM {Records} WHERE vault = '{VaultName}' AND key LIKE '~manifest/%' ORDER BY g DESC LIMIT 1)");

        await FluentActions.Awaiting(() => reader.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        (await reader.Secrets.GetSecretAsync("s")).Value.Should().Be("one", "the view stays at what it had authenticated");
    }

    [Theory]
    [InlineData("older copy")]
    [InlineData("garbled entries")]
    public async Task A_bucket_row_the_catch_up_does_not_read_damaged_in_the_database_is_found_by_its_digest_and_refused_by_a_backup_and_an_open(string damage)
    {
        var writer = await OpenInstanceAsync();
        var clock = Clock();
        var reader = await OpenDeafAsync(o => o.TimeProvider = clock);
        for (var i = 0; i < 30; i++)
        {
            await writer.Secrets.SetSecretAsync($"s{i}", "one");
        }

        var saved = "old_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {saved} AS SELECT * FROM {Records} WHERE vault = '{VaultName}' AND key LIKE '~manifest/%'");
        for (var i = 0; i < 30; i++)
        {
            await writer.Secrets.SetSecretAsync($"s{i}", "two");
        }

        await reader.RefreshAsync();
        var readerAt = reader.Core.Generation;
        await writer.Secrets.SetSecretAsync("later", "x");

        // A bucket row last written at or before the reader's generation: the catch-up does not ask for it.
        var untouched = $"substring(r.value from {ManifestBucket.GenerationOffset + 1} for 8) <= int8send({readerAt}::bigint)";
        var id = await Cluster.ScalarAsync<long>(damage == "older copy"
            ? $"SELECT min(r.id) FROM {Records} r JOIN {saved} s ON r.vault = s.vault AND r.id = s.id WHERE r.vault = '{VaultName}' AND r.value <> s.value AND {untouched}"
            : $"SELECT min(r.id) FROM {Records} r WHERE r.vault = '{VaultName}' AND r.key LIKE '~manifest/%' AND {untouched}");
        await Cluster.ExecuteAsync(damage == "older copy"
            ? $"UPDATE {Records} r SET value = s.value FROM {saved} s WHERE r.vault = s.vault AND r.id = s.id AND r.id = {id}"
            : $"UPDATE {Records} SET value = overlay(value placing '\\xdeadbeef'::bytea from 200 for 4) WHERE vault = '{VaultName}' AND id = {id}");

        // The catch-up does not read that row, but the database's digest of it (compared at most once a second, on the
        // vault's clock) is not the document the reader holds: it reads every bucket, which fails; the view stays.
        clock.Advance(KeyVault.Embedded.Operations.VaultSync.RowCheckInterval);
        var before = Describe(reader.Core.Manifest);
        await FluentActions.Awaiting(() => reader.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        Describe(reader.Core.Manifest).Should().Equal(before);
        reader.Core.Sync!.PartialCatchUps.Should().Be(1, "only the catch-up before the damage was partial");

        // A backup writes nothing that would not verify; an open does not start.
        using var dir = new TempDirectory();
        await FluentActions.Awaiting(() => reader.BackupAsync(dir.File("b.kvbackup"))).Should().ThrowAsync<VaultIntegrityException>();
        await FluentActions.Awaiting(() => OpenDeafAsync()).Should().ThrowAsync<VaultException>();
    }

    [Fact]
    public async Task A_catch_up_change_applies_only_on_the_state_it_was_worked_out_from_and_its_overlay_holds_no_objects()
    {
        var writer = await OpenInstanceAsync();
        var reader = await OpenDeafAsync();
        await writer.Secrets.SetSecretAsync("s", "one");
        await reader.RefreshAsync();
        await writer.Secrets.SetSecretAsync("s", "two");

        var manifest = reader.Core.Manifest;
        var since = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(since, manifest.Generation);
        await using var view = await ((KeyVault.Embedded.Storage.ISharedRecordStore)reader.Core.Store).OpenSnapshotAsync();
        var written = await view.ReadRangeAboveAsync(KeyVault.Embedded.Records.RecordIds.FirstBucket, KeyVault.Embedded.Records.RecordIds.LastBucket, ManifestBucket.GenerationOffset, since);
        var documents = await view.ReadRangeDigestsAsync(KeyVault.Embedded.Records.RecordIds.FirstBucket, KeyVault.Embedded.Records.RecordIds.LastBucket);
        var caught = manifest.CatchUp(written, documents, view.Head.Generation, RecordHash.Read(view.Head.Root.Span), reader.Core.Keys);
        caught.Should().NotBeNull();
        var staged = caught!.Value.Staged;

        var overlay = manifest.OthersAt(staged);
        overlay.TryGet(KeyVault.Embedded.Records.RecordKeys.Header, out _).Should().BeTrue("the overlay shows the records other than objects");
        FluentActions.Invoking(() => overlay.TryGetObject(Lifecycle.ObjectType.Secret, "s", out _)).Should().Throw<InvalidOperationException>("an object is never silently missing from it");

        var before = Describe(manifest);
        FluentActions.Invoking(() => manifest.Apply(staged with { Base = (manifest.Generation - 1, manifest.Root) }, catchUp: true)).Should().Throw<InvalidOperationException>();
        Describe(manifest).Should().Equal(before, "a change worked out from another state is not applied");
        manifest.Apply(staged, catchUp: true);
        manifest.Generation.Should().Be(view.Head.Generation);
    }

    /// <summary>Everything a manifest lists, with its shape and root: two manifests of one state describe alike.</summary>
    private static List<string> Describe(Manifest manifest)
    {
        var lines = manifest.Listing().Select(e => $"{e.Id}|{e.Key}|{e.Hash}").ToList();
        foreach (var type in Enum.GetValues<Lifecycle.ObjectType>())
        {
            foreach (var index in manifest.Objects(type).OrderBy(i => i.Key, StringComparer.Ordinal))
            {
                lines.Add($"{index.Key} current {index.Current.Key} of {index.VersionCount}: " + string.Join(",", index.Versions.Select(v => $"{v.Sequence}:{v.Key}")));
            }
        }

        lines.Add($"generation {manifest.Generation} root {manifest.Root} entries {manifest.Count} buckets {manifest.BucketCount}");
        return lines;
    }
}
