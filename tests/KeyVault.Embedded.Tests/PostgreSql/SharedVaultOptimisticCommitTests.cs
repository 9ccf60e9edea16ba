using KeyVault.Embedded.Tests.Support;
using Npgsql;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// The optimistic commit (issue 15): a group built on the instance's view commits in one round trip when no other
/// instance committed since; when one did, nothing of it is written and its units of work run again on a group that
/// takes the vault's lock and catches up. The callers see one result, the audit trail one record per operation.
/// </summary>
public sealed class SharedVaultOptimisticCommitTests(PostgreSqlCluster cluster) : SharedVaultTestBase(cluster)
{
    [Fact]
    public async Task A_write_built_on_a_view_another_instance_moved_past_runs_again_after_catching_up_and_is_recorded_once()
    {
        var a = await OpenDeafAsync(o => o.Audit.Enabled = true);
        var b = await OpenInstanceAsync(configure: o => o.Audit.Enabled = true);
        await a.Secrets.SetSecretAsync("s", "1");
        await b.RefreshAsync();
        await b.Secrets.SetSecretAsync("s", "2"); // a hears nothing of it

        var set = await a.Secrets.SetSecretAsync("s", "3");

        a.Core.Writer.StaleGroups.Should().Be(1, "a's first try was built on its stale view and refused by the database");
        (await a.Secrets.GetSecretAsync("s")).Value.Should().Be("3");
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("s")).Properties.Version.Should().Be(set.Properties.Version);
        (await b.Secrets.GetPropertiesOfSecretVersionsAsync("s").CountAsync()).Should().Be(3, "no lost update: each write made its version");
        var events = await b.GetAuditEventsAsync();
        events.Count(e => e.OperationName == "SecretSet").Should().Be(3, "the try that was not committed left no record, the one that was left one");
        var verification = await b.VerifyAuditAsync();
        verification.IsIntact.Should().BeTrue(verification.Problem);
    }

    [Fact]
    public async Task A_write_refused_on_a_stale_view_runs_again_on_the_caught_up_view_instead_of_failing()
    {
        var a = await OpenDeafAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("first", "v");
        await b.RefreshAsync();
        await b.Secrets.SetSecretAsync("n", "v"); // not in a's view
        var properties = (await b.Secrets.GetSecretAsync("n")).Properties;
        properties.Tags["t"] = "1";

        var updated = await a.Secrets.UpdateSecretPropertiesAsync(properties);

        updated.Tags["t"].Should().Be("1");
        a.Core.Writer.StaleGroups.Should().Be(1, "not found on a's view, which was not the head: run again on the head, not reported");
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("n")).Properties.Tags["t"].Should().Be("1");
    }

    [Fact]
    public async Task A_write_refused_on_a_view_that_is_the_head_is_reported_as_it_was_refused()
    {
        var a = await OpenDeafAsync();
        await a.Secrets.SetSecretAsync("first", "v");

        var error = (await FluentActions.Awaiting(() => a.Secrets.StartDeleteSecretAsync("missing")).Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.SecretNotFound);
        a.Core.Writer.StaleGroups.Should().Be(0);
    }

    [Fact]
    public async Task A_write_while_another_session_holds_the_vaults_lock_waits_for_it_then_commits_on_the_head_it_leaves()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "1");
        await using var source = Cluster.NewDataSource();
        await using var connection = await source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM keyvault_embedded.vaults WHERE vault = '{VaultName}' FOR UPDATE", connection, transaction))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        var write = a.Secrets.SetSecretAsync("s", "2");
        await UntilLockWaitAsync(source);
        write.IsCompleted.Should().BeFalse("refused without the lock, the write waits for it");
        await transaction.RollbackAsync();

        (await write).Value.Should().Be("2");
        a.Core.Writer.StaleGroups.Should().Be(1);
        (await a.Secrets.GetSecretAsync("s")).Value.Should().Be("2");
    }

    private static async Task UntilLockWaitAsync(NpgsqlDataSource source)
    {
        for (var i = 0; i < 2000; i++)
        {
            await using var command = source.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            await Task.Yield();
        }

        throw new TimeoutException("No session waited for the vault's lock.");
    }
}
