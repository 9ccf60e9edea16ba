using System.Text;
using KeyVault.Embedded.PostgreSql;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;
using Npgsql;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// What every record store promises the vault (<see cref="IRecordStore"/>), one suite run over each store: the LiteDB
/// file, the in-memory store of whole-vault restores, and (issue 15) a database. A store only keeps opaque records; the
/// vault decides everything else, so the contract is about atomic commits, their preconditions, and reads.
/// </summary>
public abstract class RecordStoreContractTests : IAsyncLifetime
{
    private protected IRecordStore Store { get; set; } = null!;

    /// <summary>A new, empty store.</summary>
    private protected abstract Task<IRecordStore> CreateEmptyAsync();


    public async Task InitializeAsync() => Store = await CreateEmptyAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task A_newStore_is_empty_and_a_commit_makes_it_hold_what_was_written()
    {
        (await Store.IsEmptyAsync()).Should().BeTrue();

        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a"), Record(2, "b")]));

        (await Store.IsEmptyAsync()).Should().BeFalse();
        Text(await Store.ReadAsync(1)).Should().Be("a");
        (await Store.ReadAsync(2))!.Key.Should().Be("records/2");
        (await Store.ReadAsync(3)).Should().BeNull();
    }

    [Fact]
    public async Task Replaces_deletes_and_creates_of_one_commit_apply_together()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a"), Record(2, "b"), Record(3, "c")]));

        var commit = Commit(1, 2, creates: [Record(4, "d")], replaces: [Record(1, "a2"), Record(9, "created-by-replace")], deletes: [2, 77]);
        await Store.CommitAsync(commit);

        Text(await Store.ReadAsync(1)).Should().Be("a2");
        (await Store.ReadAsync(2)).Should().BeNull();
        Text(await Store.ReadAsync(4)).Should().Be("d");
        Text(await Store.ReadAsync(9)).Should().Be("created-by-replace", "a replaced record found missing is created");
    }

    [Fact]
    public async Task A_create_of_an_id_that_exists_is_a_conflict_and_nothing_of_that_commit_is_written()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));

        var act = () => Store.CommitAsync(Commit(1, 2, creates: [Record(5, "new"), Record(1, "overwrite")], replaces: [Record(6, "other")], deletes: [7])).AsTask();

        await act.Should().ThrowAsync<StoreConflictException>();
        Text(await Store.ReadAsync(1)).Should().Be("a", "a create never replaces a record (key-encryption key wraps rely on it)");
        (await Store.ReadAsync(5)).Should().BeNull("the commit is atomic: none of it is written");
        (await Store.ReadAsync(6)).Should().BeNull();
    }

    [Fact]
    public async Task A_commit_based_on_a_generation_the_store_has_moved_past_is_a_conflict_and_writes_nothing()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));
        await Store.CommitAsync(Commit(1, 2, replaces: [Record(1, "a2")]));

        var stale = () => Store.CommitAsync(Commit(1, 2, replaces: [Record(1, "lost update")], creates: [Record(2, "x")])).AsTask();

        await stale.Should().ThrowAsync<StoreConflictException>();
        Text(await Store.ReadAsync(1)).Should().Be("a2");
        (await Store.ReadAsync(2)).Should().BeNull();
        await Store.CommitAsync(Commit(2, 3, creates: [Record(2, "x")]));
        Text(await Store.ReadAsync(2)).Should().Be("x", "a commit on the current generation still applies");
    }

    [Fact]
    public async Task Reads_of_many_and_of_a_range_return_what_exists_in_id_order()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(5, "e"), Record(1, "a"), Record(3, "c"), Record(10, "j")]));

        var many = await Store.ReadManyAsync([1, 2, 3, 10, 11]);
        many.Keys.Should().BeEquivalentTo([1L, 3L, 10L], "a missing id is simply absent");
        Text(many[3]).Should().Be("c");

        var range = await Store.ReadRangeAsync(2, 10);
        range.Select(r => r.Id).Should().Equal(3, 5, 10);
        (await Store.ReadRangeAsync(11, 20)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_reader_during_commits_sees_each_record_whole_never_a_torn_value()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, new string('0', 4096))]));
        using var stop = new CancellationTokenSource();
        var torn = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var value = Text(await Store.ReadAsync(1));
                if (value.Distinct().Count() != 1 || value.Length != 4096)
                {
                    Interlocked.Increment(ref torn);
                }
            }
        });

        for (var generation = 1; generation <= 40; generation++)
        {
            var digit = (char)('0' + (generation % 10));
            await Store.CommitAsync(Commit(generation, generation + 1, replaces: [Record(1, new string(digit, 4096))]));
        }

        await stop.CancelAsync();
        await reader;
        torn.Should().Be(0);
        Text(await Store.ReadAsync(1)).Should().Be(new string('0', 4096));
    }

    private protected static StoredRecord Record(long id, string text) => new(id, $"records/{id}", Encoding.UTF8.GetBytes(text));

    private protected static string Text(StoredRecord? record) => Encoding.UTF8.GetString(record!.Value);

    private protected static StoreCommit Commit(long expected, long generation, StoredRecord[]? creates = null, StoredRecord[]? replaces = null, long[]? deletes = null)
    {
        var commit = new StoreCommit(expected, generation);
        commit.Creates.AddRange(creates ?? []);
        commit.Replaces.AddRange(replaces ?? []);
        commit.Deletes.AddRange(deletes ?? []);
        return commit;
    }
}

/// <summary>The contract of a store that outlives its process: what was committed is there when it is opened again.</summary>
public abstract class PersistentRecordStoreContractTests : RecordStoreContractTests
{
    /// <summary>The same store closed and opened again.</summary>
    private protected abstract Task<IRecordStore> ReopenAsync(IRecordStore store);

    [Fact]
    public async Task What_a_commit_wrote_is_there_after_the_store_is_opened_again()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a"), Record(2, "b")]));
        await Store.CommitAsync(Commit(1, 2, replaces: [Record(1, "a2")], deletes: [2]));

        Store = await ReopenAsync(Store);
        Text(await Store.ReadAsync(1)).Should().Be("a2");
        (await Store.ReadAsync(2)).Should().BeNull();
        (await Store.IsEmptyAsync()).Should().BeFalse();
    }
}

/// <summary>The contract over the vault's LiteDB file (with its fsync'd log), reopened from disk.</summary>
public sealed class LiteDbRecordStoreContractTests : PersistentRecordStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    private protected override Task<IRecordStore> CreateEmptyAsync() => Task.FromResult<IRecordStore>(LiteDbRecordStore.Open(_dir.File("vault.db")));

    private protected override async Task<IRecordStore> ReopenAsync(IRecordStore store)
    {
        await store.DisposeAsync();
        return LiteDbRecordStore.Open(_dir.File("vault.db"));
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The contract over the in-memory store a whole-vault restore is verified in.</summary>
public sealed class MemoryRecordStoreContractTests : RecordStoreContractTests
{
    private protected override Task<IRecordStore> CreateEmptyAsync() => Task.FromResult<IRecordStore>(new MemoryRecordStore("memory", []));
}

/// <summary>
/// The contract over PostgreSQL (issue 15): a private PostgreSQL 15 cluster started by the tests in a temporary folder, a
/// vault of its own per test, reopened through a new data source.
/// </summary>
public sealed class PostgreSqlRecordStoreContractTests : PersistentRecordStoreContractTests, IClassFixture<PostgreSqlCluster>
{
    private readonly PostgreSqlCluster _cluster;
    private readonly string _vault = "vault-" + Guid.NewGuid().ToString("N");

    public PostgreSqlRecordStoreContractTests(PostgreSqlCluster cluster)
    {
        _cluster = cluster;
    }

    private protected override async Task<IRecordStore> CreateEmptyAsync() =>
        await PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), _vault, ownsDataSource: true);

    private protected override async Task<IRecordStore> ReopenAsync(IRecordStore store)
    {
        await store.DisposeAsync();
        return await PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), _vault, ownsDataSource: true);
    }

    [Fact]
    public async Task The_commit_log_keeps_the_last_commits_each_commit_drops_the_one_that_falls_out_and_a_sweep_takes_stragglers()
    {
        var store = (PostgreSqlRecordStore)Store;
        store.KeptCommits = 5;
        async Task<long[]> LoggedAsync()
        {
            await using var source = _cluster.NewDataSource();
            await using var command = source.CreateCommand($"SELECT generation FROM keyvault_embedded.commits WHERE vault = '{_vault}' ORDER BY generation");
            var generations = new List<long>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                generations.Add(reader.GetInt64(0));
            }

            return [.. generations];
        }

        for (var generation = 1; generation <= 12; generation++)
        {
            await Store.CommitAsync(Commit(generation - 1, generation, creates: [Record(generation, "r")]));
        }

        (await LoggedAsync()).Should().Equal(8, 9, 10, 11, 12);

        // A row below the window that no single-row trim will meet (left by a restored dump, or a longer window before).
        await _cluster.ExecuteAsync($"INSERT INTO keyvault_embedded.commits (vault, generation, commit_id, previous, root, mac) VALUES ('{_vault}', 2, gen_random_uuid(), '', '', '')");
        for (var generation = 13; generation < PostgreSqlWrite.SweepEvery; generation++)
        {
            await Store.CommitAsync(Commit(generation - 1, generation));
        }

        (await LoggedAsync()).Should().Equal(2, 995, 996, 997, 998, 999);
        await Store.CommitAsync(Commit(PostgreSqlWrite.SweepEvery - 1, PostgreSqlWrite.SweepEvery));
        (await LoggedAsync()).Should().Equal(996, 997, 998, 999, 1000);
    }

    [Fact]
    public async Task An_open_store_listens_already_so_a_commit_made_right_after_it_opened_is_heard()
    {
        await using var listener = await PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), _vault, ownsDataSource: true);
        listener.Listening.IsCompleted.Should().BeTrue("the open waits for its LISTEN, so that nothing falls between it and the head the vault reads next");
        listener.LatestHeard.Should().Be(0);
        var heard = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Advanced += generation => heard.TrySetResult(generation);

        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));

        (await heard.Task.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(1);
        listener.LatestHeard.Should().Be(1, "what was heard is kept for a vault that starts watching later");
    }

    [Fact]
    public async Task Two_instances_committing_on_the_same_generation_one_wins_and_the_other_writes_nothing()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));
        await using var other = await PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), _vault, ownsDataSource: true);

        await other.CommitAsync(Commit(1, 2, replaces: [Record(1, "other")]));
        var loser = () => Store.CommitAsync(Commit(1, 2, replaces: [Record(1, "lost")], creates: [Record(2, "x")])).AsTask();

        await loser.Should().ThrowAsync<StoreConflictException>();
        Text(await Store.ReadAsync(1)).Should().Be("other", "the later commit on a stale generation changes nothing");
        (await Store.ReadAsync(2)).Should().BeNull();
    }

    [Fact]
    public async Task A_commit_whose_base_root_is_not_the_heads_is_a_conflict_and_writes_nothing()
    {
        StoreCommit Chained(long expected, byte[] previous, byte[] root)
        {
            var commit = new StoreCommit(expected, expected + 1) { Previous = previous, Root = root };
            return commit;
        }

        var first = Chained(0, [], [1, 2, 3]);
        first.Creates.Add(Record(1, "a"));
        await Store.CommitAsync(first);

        // The right generation, another history's root before it (a head replaced behind the instance's back).
        var other = Chained(1, [9, 9, 9], [4, 5, 6]);
        other.Replaces.Add(Record(1, "lost"));
        other.Creates.Add(Record(2, "x"));
        await FluentActions.Awaiting(() => Store.CommitAsync(other).AsTask()).Should().ThrowAsync<StoreConflictException>().Where(e => !e.Tampered);
        Text(await Store.ReadAsync(1)).Should().Be("a");
        (await Store.ReadAsync(2)).Should().BeNull();
        (await ((PostgreSqlRecordStore)Store).ReadHeadAsync()).Generation.Should().Be(1);

        var right = Chained(1, [1, 2, 3], [4, 5, 6]);
        right.Replaces.Add(Record(1, "a2"));
        await Store.CommitAsync(right);
        Text(await Store.ReadAsync(1)).Should().Be("a2", "the commit built on the head's own root applies");
    }

    [Fact]
    public async Task A_commit_while_another_session_holds_the_vaults_lock_is_refused_at_once_and_writes_nothing()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));
        await using var source = _cluster.NewDataSource();
        await using var connection = await source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM keyvault_embedded.vaults WHERE vault = '{_vault}' FOR UPDATE", connection, transaction))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        // The holder is about to move the head: a commit built on the head before it could only find it moved, so it
        // does not wait (a vault then takes the lock, waiting with its caller's token, and catches up).
        var refused = () => Store.CommitAsync(Commit(1, 2, creates: [Record(2, "x")])).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        await refused.Should().ThrowAsync<StoreConflictException>().Where(e => !e.Tampered);
        await transaction.RollbackAsync();

        (await Store.ReadAsync(2)).Should().BeNull();
        (await ((PostgreSqlRecordStore)Store).ReadHeadAsync()).Generation.Should().Be(1);
        await Store.CommitAsync(Commit(1, 2, creates: [Record(2, "x")]));
        Text(await Store.ReadAsync(2)).Should().Be("x");
    }

    [Fact]
    public async Task A_whole_vault_runs_on_it_and_the_database_holds_no_plaintext()
    {
        var dir = new TempDirectory();
        try
        {
            var key = TestVaults.NewKey();
            var vaultName = "vault-" + Guid.NewGuid().ToString("N");
            IRecordStore Open(string path) => PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), vaultName, ownsDataSource: true).AsTask().GetAwaiter().GetResult();
            const string Value = "distinctive-plaintext-7f3c9a";
            await using (var vault = await TestVaults.OpenAsync(dir.File("vault.db"), key, configure: o => o.StoreFactory = Open))
            {
                await vault.Secrets.SetSecretAsync("db", Value);
                await vault.Secrets.SetSecretAsync("db", Value + "-2");
                await vault.Keys.CreateEcKeyAsync(new KeyVault.Embedded.Keys.CreateEcKeyOptions("signer"));
            }

            await using (var reopened = await TestVaults.OpenAsync(dir.File("vault.db"), key, configure: o => o.StoreFactory = Open))
            {
                (await reopened.Secrets.GetSecretAsync("db")).Value.Should().Be(Value + "-2");
                (await reopened.Secrets.GetPropertiesOfSecretVersionsAsync("db").ToListAsync()).Should().HaveCount(2);
                (await reopened.Keys.GetKeyAsync("signer")).Name.Should().Be("signer");
            }

            var plaintextRows = await _cluster.ScalarAsync<long>(
                $"SELECT count(*) FROM keyvault_embedded.records WHERE vault = '{vaultName}' AND position(convert_to('{Value}', 'UTF8') in value) > 0");
            plaintextRows.Should().Be(0, "the database holds sealed records only");
            (await _cluster.ScalarAsync<long>($"SELECT count(*) FROM keyvault_embedded.records WHERE vault = '{vaultName}'")).Should().BeGreaterThan(5);
        }
        finally
        {
            dir.Dispose();
        }
    }

    [Fact]
    public async Task Vaults_in_one_schema_do_not_see_each_others_records_and_the_schema_migrates_once()
    {
        await Store.CommitAsync(Commit(0, 1, creates: [Record(1, "a")]));
        var opens = Enumerable.Range(0, 4).Select(_ => PostgreSqlRecordStore.OpenAsync(_cluster.NewDataSource(), "vault-" + Guid.NewGuid().ToString("N"), ownsDataSource: true).AsTask());
        var others = await Task.WhenAll(opens);

        foreach (var other in others)
        {
            (await other.IsEmptyAsync()).Should().BeTrue();
            (await other.ReadAsync(1)).Should().BeNull();
            await other.DisposeAsync();
        }

        (await _cluster.ScalarAsync<long>("SELECT count(*) FROM keyvault_embedded.schema_version")).Should().Be(1, "instances starting at once migrate the schema once");
    }
}
