using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// Group commit: writers that arrive while a commit is being made durable share the next one (one store transaction,
/// one fsync), each still returning only once its change is durable, and one writer's failure is its own.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private const int Writers = 8;
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();
    private SpyRecordStore _store = null!;

    [Fact]
    public async Task Writers_that_wait_while_a_commit_is_durable_share_the_next_commit_and_each_returns_once_it_is_durable()
    {
        var vault = await OpenAsync();
        var before = _store.Commits;
        var (first, others) = await QueueBehindAHeldCommitAsync(vault, n => vault.Secrets.SetSecretAsync($"s{n}", $"value {n}"));
        var second = _store.HoldNextCommit();
        first.Open.SetResult();
        await first.Task;

        // The eight have run their work into one transaction, whose commit now waits at the gate: none has returned.
        await _store.AtGate.Task;
        others.Should().OnlyContain(t => !t.IsCompleted, "a writer returns only once its commit is durable");
        second.SetResult();
        await Task.WhenAll(others);

        (_store.Commits - before).Should().Be(2, "the first write's commit, then one for the eight that waited behind it");
        await vault.DisposeAsync();
        await using var reopened = await TestVaults.OpenAsync(_dir.File("vault.db"), _key);
        for (var n = 0; n < Writers; n++)
        {
            (await reopened.Secrets.GetSecretAsync($"s{n}")).Value.Should().Be($"value {n}");
        }
    }

    [Fact]
    public async Task A_unit_of_work_that_throws_in_a_group_is_undone_and_the_others_commit()
    {
        var vault = await OpenAsync(audit: true);
        var (first, others) = await QueueBehindAHeldCommitAsync(vault, n => n == 3
            ? vault.Core.Writer.WriteAsync<bool>(tx =>
            {
                VaultSettings.Put(tx, "doomed", "staged, then the work fails");
                throw new InvalidOperationException("the work failed after staging");
            }).AsTask()
            : vault.Secrets.SetSecretAsync($"s{n}", "v"));
        first.Open.SetResult();
        await first.Task;

        await FluentActions.Awaiting(() => others[3]).Should().ThrowAsync<InvalidOperationException>();
        await Task.WhenAll(others.Where((_, n) => n != 3));
        (await vault.Core.Reader.SettingAsync("doomed")).Should().BeNull("the failed unit's change was undone");
        var events = await vault.GetAuditEventsAsync();
        events.Count(e => e.OperationName == "SecretSet").Should().Be(Writers, "one record each: the first write's and the seven that committed together");
        (await vault.VerifyAuditAsync()).FirstBadSequence.Should().BeNull();
        await vault.DisposeAsync();

        await using var reopened = await TestVaults.OpenAsync(_dir.File("vault.db"), _key);
        (await reopened.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => p.Name).Should().BeEquivalentTo(
            Enumerable.Range(0, Writers).Where(n => n != 3).Select(n => $"s{n}").Append("first"));
    }

    [Fact]
    public async Task A_group_commit_that_fails_fails_every_writer_in_it_and_writes_nothing()
    {
        var vault = await OpenAsync();
        var (first, others) = await QueueBehindAHeldCommitAsync(vault, n => vault.Secrets.SetSecretAsync($"s{n}", "v"));
        var second = _store.HoldNextCommit();
        first.Open.SetResult();
        await first.Task;
        await _store.AtGate.Task;
        _store.FailWrites = new IOException("disk full");
        second.SetResult();

        foreach (var writer in others)
        {
            (await FluentActions.Awaiting(() => writer).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
        }

        _store.FailWrites = null;
        await vault.DisposeAsync();
        await using var reopened = await TestVaults.OpenAsync(_dir.File("vault.db"), _key);
        (await reopened.Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Select(p => p.Name).Should().Equal("first");
    }

    [Fact]
    public async Task A_unit_of_work_that_changes_nothing_after_others_did_returns_only_once_their_commit_is_durable()
    {
        var vault = await OpenAsync();
        var saw = false;
        var (first, others) = await QueueBehindAHeldCommitAsync(vault, n => n == Writers - 1
            ? vault.Core.Writer.WriteAsync(async tx =>
            {
                saw = await tx.FindObjectAsync(ObjectType.Secret, "s0") is not null;
                return saw;
            }).AsTask()
            : vault.Secrets.SetSecretAsync($"s{n}", "v"));
        var second = _store.HoldNextCommit();
        first.Open.SetResult();
        await first.Task;
        await _store.AtGate.Task;

        saw.Should().BeTrue("it ran after s0's writer, in the same transaction");
        others[^1].IsCompleted.Should().BeFalse("what it read is not durable yet");
        second.SetResult();
        await Task.WhenAll(others);
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task Writers_in_a_group_that_set_the_same_secret_each_make_a_version_and_the_last_is_current()
    {
        var vault = await OpenAsync();
        var versions = new string?[Writers];
        var (first, others) = await QueueBehindAHeldCommitAsync(vault, async n => versions[n] = (await vault.Secrets.SetSecretAsync("same", $"value {n}")).Properties.Version);
        first.Open.SetResult();
        await first.Task;
        await Task.WhenAll(others);

        versions.Should().OnlyHaveUniqueItems();
        (await vault.Secrets.GetPropertiesOfSecretVersionsAsync("same").ToListAsync()).Should().HaveCount(Writers);
        var current = await vault.Secrets.GetSecretAsync("same");
        current.Properties.Version.Should().Be(versions[^1], "the writers ran in the order they got the lock, and the last one's version is current");
        await vault.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    private Task<((TaskCompletionSource Open, Task Task) First, Task[] Others)> QueueBehindAHeldCommitAsync(EmbeddedVault vault, Func<int, Task> write) =>
        HeldCommit.QueueAsync(vault, _store, Writers, write);

    private Task<EmbeddedVault> OpenAsync(bool audit = false) => TestVaults.OpenAsync(_dir.File("vault.db"), _key, configure: options =>
    {
        options.StoreFactory = path => _store = new SpyRecordStore(LiteDbRecordStore.Open(path));
        options.Audit.Enabled = audit;
    });
}
