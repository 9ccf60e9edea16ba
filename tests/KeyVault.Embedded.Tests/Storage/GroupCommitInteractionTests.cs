using KeyVault.Embedded.Access;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>
/// Group commit together with access control and the audit trail: found by an attack review (each failed before its
/// fix): changes that derive from in-memory state, a failed shared commit, and what a refused call may put in a record.
/// </summary>
public sealed class GroupCommitInteractionTests : IDisposable
{
    private static readonly VaultPrincipal Admin = new("admin-oid", "Ada Admin");
    private readonly TempDirectory _dir = new();
    private readonly byte[] _key = TestVaults.NewKey();
    private SpyRecordStore _store = null!;
    private FailingStore _failing = null!;

    [Fact]
    public async Task Two_role_assignments_committed_in_one_group_both_survive()
    {
        var vault = await OpenAsync();
        var (first, others) = await QueueAsync(vault, 2, n => vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, $"p{n}"));
        first.Open.SetResult();
        await first.Task;
        await Task.WhenAll(others); // both callers are told: success
        (await vault.Access.GetRoleAssignmentsAsync()).Select(a => a.PrincipalId).Should().BeEquivalentTo(["p0", "p1"], "both writers were told their assignment was made");
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task Turning_rbac_on_in_the_same_group_as_a_role_assignment_stays_on()
    {
        var vault = await OpenAsync();
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        var (first, others) = await QueueAsync(vault, 2, async n =>
        {
            if (n == 0)
            {
                using (vault.RunAs(Admin))
                {
                    await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
                }
            }
            else
            {
                // It runs after the mode change in the same transaction, so it sees RBAC on, under which the
                // application may not assign roles: the outcome of the two run one after the other.
                (await FluentActions.Awaiting(() => vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secrets, KeyVaultRoles.SecretsUser.Id, "someone"))
                    .Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.Forbidden);
            }
        });
        first.Open.SetResult();
        await first.Task;
        await Task.WhenAll(others);
        vault.Access.Mode.Should().Be(VaultAuthorizationMode.Rbac, "SetAuthorizationModeAsync(Rbac) returned success");
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task Waiting_read_records_are_not_lost_when_a_commit_fails_without_faulting()
    {
        var vault = await OpenAsync(audit: true);
        await vault.Secrets.SetSecretAsync("s", "v");
        (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v"); // record queued (non-strict)
        _store.FailWrites = new StoreConflictException("a planted record at the next id") { Tampered = true };
        await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("t", "v")).Should().ThrowAsync<VaultIntegrityException>();
        _store.FailWrites = null;
        await vault.Secrets.SetSecretAsync("u", "v"); // the vault keeps writing: not faulted
        (await vault.VerifyAuditAsync()).FirstBadSequence.Should().BeNull("verification says the trail is intact");
        var events = await vault.GetAuditEventsAsync();
        events.Should().Contain(e => e.OperationName == "SecretGet", "the secret was read and returned to the caller");
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task A_key_hierarchy_write_does_not_commit_after_the_group_before_it_faulted_the_vault()
    {
        var vault = await OpenAsync();
        var baseline = _failing.Commits;
        var gate = _store.HoldNextCommit();
        var firstWrite = vault.Secrets.SetSecretAsync("first", "v");
        await _store.AtGate.Task;
        var waiting = vault.Core.Writer.Waiting;
        var w1 = Task.Run(() => vault.Secrets.SetSecretAsync("w1", "v"));
        SpinWait.SpinUntil(() => vault.Core.Writer.Waiting == waiting + 1, TimeSpan.FromSeconds(30)).Should().BeTrue();
        var rotate = Task.Run(() => vault.RotateKeyEncryptionKeyAsync());
        SpinWait.SpinUntil(() => vault.Core.Writer.Waiting == waiting + 2, TimeSpan.FromSeconds(30)).Should().BeTrue();
        _failing.FailAt = baseline + 2; // the group {w1} fails with an I/O error (the vault faults)
        gate.SetResult();
        await firstWrite;
        (await FluentActions.Awaiting(() => w1).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
        await FluentActions.Awaiting(() => rotate).Should().ThrowAsync<VaultException>();
        vault.Core.IsFaulted.Should().BeTrue();
        _failing.Commits.Should().Be(baseline + 1, "after the failed commit faulted the vault, nothing more may be committed (it refuses writes until reopened)");
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_call_with_a_malformed_name_does_not_break_the_next_commit_nor_erase_records()
    {
        var vault = await OpenAsync(audit: true);
        await vault.Secrets.SetSecretAsync("s", "v");
        (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v"); // a legitimate read, record queued
        await FluentActions.Awaiting(async () => await vault.Secrets.GetSecretAsync("bad\uD800")).Should().ThrowAsync<VaultException>();
        Exception? writeFailure = null;
        try
        {
            await vault.Secrets.SetSecretAsync("t", "v"); // someone else's write, next commit
        }
        catch (Exception ex)
        {
            writeFailure = ex;
        }

        writeFailure.Should().BeNull("an unrelated caller's bad name must not fail another writer's commit");
        var events = await vault.GetAuditEventsAsync();
        events.Should().Contain(e => e.OperationName == "SecretGet" && e.ResultType == "Success", "the read's record");
        await vault.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_call_cannot_choose_the_object_id_its_record_names()
    {
        var vault = await OpenAsync(audit: true);
        await FluentActions.Awaiting(async () => await vault.Secrets.GetSecretAsync("../keys/payroll-kek")).Should().ThrowAsync<VaultException>();
        var events = await vault.GetAuditEventsAsync();
        var get = events.Single(e => e.OperationName == "SecretGet");
        get.Properties.Id.Should().EndWith("/secrets/..%2Fkeys%2Fpayroll-kek", "a SecretGet record names a secret, with the name escaped");
        await vault.DisposeAsync();
    }

    public void Dispose() => _dir.Dispose();

    private Task<((TaskCompletionSource Open, Task Task) First, Task[] Others)> QueueAsync(EmbeddedVault vault, int count, Func<int, Task> write) =>
        HeldCommit.QueueAsync(vault, _store, count, write);

    private Task<EmbeddedVault> OpenAsync(bool audit = false) => TestVaults.OpenAsync(_dir.File("vault.db"), _key, configure: options =>
    {
        options.StoreFactory = path => _store = new SpyRecordStore(_failing = new FailingStore(LiteDbRecordStore.Open(path)));
        options.Audit.Enabled = audit;
        options.Audit.MaxFlushDelay = TimeSpan.FromHours(1);
    });

    /// <summary>Fails the commit with the given ordinal (an I/O error), passes all others.</summary>
    private sealed class FailingStore(IRecordStore inner) : IRecordStore
    {
        private int _calls;

        public int FailAt { get; set; } = -1;

        public int Commits { get; private set; }

        public string Location => inner.Location;

        public ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) => inner.ReadAsync(id, cancellationToken);

        public ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => inner.ReadManyAsync(ids, cancellationToken);

        public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(first, last, cancellationToken);

        public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => inner.IsEmptyAsync(cancellationToken);

        public async ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
        {
            _calls++;
            if (_calls == FailAt)
            {
                throw new IOException("fsync failed");
            }

            await inner.CommitAsync(commit, cancellationToken);
            Commits++;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
