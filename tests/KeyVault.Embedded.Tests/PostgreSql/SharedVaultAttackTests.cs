using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.PostgreSql;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Tests.Support;
using Npgsql;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// The attack review of the shared store (issue 15), each finding as a test that failed before its fix: a catch-up
/// that fails leaves the whole old view (no revoked role kept, no audit block overwritten); key-encryption keys
/// numbered and retired under the lock; a root rotated elsewhere is RootKeyMismatch; a longer forked history is
/// refused; another vault's rows copied under this vault's name are refused; a due rotation happens once; a vault
/// whose records were emptied is a typed refusal; a write behind a stuck lock holder honours its token.
/// </summary>
public sealed class SharedVaultAttackTests(PostgreSqlCluster cluster) : SharedVaultTestBase(cluster)
{
    private const string Records = "keyvault_embedded.records";

    [Fact]
    public async Task A_catch_up_that_fails_on_one_record_leaves_the_whole_old_view_so_a_revoked_role_is_not_kept_or_written_back()
    {
        var admin = new VaultPrincipal("admin-oid", "admin");
        var web = new VaultPrincipal("web-oid", "web");
        var a = await OpenDeafAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("payroll", "p");
        await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
        VaultRoleAssignment grant;
        using (a.RunAs(admin))
        {
            await a.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
            grant = await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.SecretsUser.Id, web.ObjectId);
        }

        await b.RefreshAsync();
        using (b.RunAs(admin))
        {
            await b.Access.DeleteRoleAssignmentAsync(KeyVaultRoleScope.Global, grant.Name); // web is revoked
        }

        // The access-control row is missing for one catch-up: it fails, and the instance stays at its old generation.
        var key = RecordKeys.Setting(AccessControl.Setting);
        var saved = "acl_" + VaultName.Replace('-', '_');
        var before = a.Core.Generation;
        await Cluster.ExecuteAsync($"CREATE TABLE {saved} AS SELECT * FROM {Records} WHERE {Row(key)}; DELETE FROM {Records} WHERE {Row(key)}");
        await FluentActions.Awaiting(() => a.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        a.Core.Generation.Should().Be(before, "nothing of a failed catch-up becomes the view");
        await Cluster.ExecuteAsync($"INSERT INTO {Records} SELECT * FROM {saved}");

        await a.RefreshAsync();
        a.Core.Generation.Should().Be(b.Core.Generation);
        using (a.RunAs(web))
        {
            (await FluentActions.Awaiting(() => a.Secrets.GetSecretAsync("payroll")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403, "the revocation reached this instance");
        }

        using (a.RunAs(admin))
        {
            await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("payroll"), KeyVaultRoles.SecretsUser.Id, "someone-else");
        }

        await b.RefreshAsync();
        using (b.RunAs(web))
        {
            (await FluentActions.Awaiting(() => b.Secrets.GetSecretAsync("payroll")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403, "the revocation is not undone");
        }
    }

    [Fact]
    public async Task After_a_failed_catch_up_the_next_audit_block_follows_the_other_instances_and_the_chain_verifies()
    {
        var a = await OpenDeafAsync(o => o.Audit.Enabled = true);
        var b = await OpenInstanceAsync(configure: o => o.Audit.Enabled = true);
        await a.Secrets.SetSecretAsync("s", "v");
        await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, "admin-oid");
        await b.RefreshAsync();
        for (var i = 0; i < 3; i++)
        {
            await b.Secrets.SetSecretAsync($"b{i}", "v");
        }

        await b.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.SecretsUser.Id, "x-oid");
        var key = RecordKeys.Setting(AccessControl.Setting);
        var saved = "acl2_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {saved} AS SELECT * FROM {Records} WHERE {Row(key)}; DELETE FROM {Records} WHERE {Row(key)}");
        await FluentActions.Awaiting(() => a.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        await Cluster.ExecuteAsync($"INSERT INTO {Records} SELECT * FROM {saved}");
        await a.RefreshAsync();
        await a.Secrets.SetSecretAsync("from-a", "v");

        var events = await b.GetAuditEventsAsync();
        events.Count(e => e.OperationName == "SecretSet").Should().Be(5, "a's set, b's three sets and a's last set were all acknowledged");
        (await b.VerifyAuditAsync()).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task A_key_encryption_key_rotation_on_an_instance_that_had_not_heard_of_another_ones_numbers_its_key_after_it()
    {
        var a = await OpenDeafAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await b.RefreshAsync();
        await b.RotateKeyEncryptionKeyAsync();

        var made = await a.RotateKeyEncryptionKeyAsync();

        made.Should().Be(3, "numbered under the lock, after catching up with version 2");
        await a.Secrets.SetSecretAsync("after", "v");
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        (await b.Secrets.GetSecretAsync("after")).Value.Should().Be("v");
        (await Cluster.ScalarAsync<long>($"SELECT count(*) FROM {Records} WHERE vault = '{VaultName}' AND key LIKE 'kek/%'")).Should().Be(1, "the older versions were retired");
        var fresh = await OpenInstanceAsync();
        (await fresh.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task Two_key_encryption_key_rotations_that_interleave_never_retire_the_current_key()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await b.RefreshAsync();
        var hooked = 0;
        var progress = new SyncProgress(_ =>
        {
            if (Interlocked.Exchange(ref hooked, 1) == 0)
            {
                // Between a's new key and its retirement of the old ones, b rotates too.
                Task.Run(async () =>
                {
                    await b.RefreshAsync();
                    await b.RotateKeyEncryptionKeyAsync();
                }).GetAwaiter().GetResult();
            }
        });

        try
        {
            await a.RotateKeyEncryptionKeyAsync(progress);
        }
        catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.Conflict)
        {
            // Allowed: "run the rotation again"; never a deleted current key.
        }

        await a.DisposeAsync();
        await b.DisposeAsync();
        var fresh = await OpenInstanceAsync();
        (await fresh.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        (await Cluster.ScalarAsync<long>($"SELECT count(*) FROM {Records} WHERE vault = '{VaultName}' AND key = 'kek/' || lpad('{fresh.Core.Header.CurrentKekVersion}', 8, '0')")).Should().Be(1, "the current key's wrap is there");
    }

    [Fact]
    public async Task A_root_rotated_by_another_instance_stops_this_one_with_RootKeyMismatch_not_a_tampering_alarm()
    {
        var a = await OpenDeafAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await b.RefreshAsync();
        await b.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey()));

        (await FluentActions.Awaiting(() => a.RefreshAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch);
        (await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("x", "y")).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RootKeyMismatch, "it stays stopped until reopened");
    }

    [Fact]
    public async Task A_forked_history_that_grew_longer_than_what_an_instance_saw_is_refused_not_taken_up()
    {
        var a = await OpenDeafAsync();
        await a.Secrets.SetSecretAsync("base", "v");
        var dump = "fork_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {dump}_r AS SELECT * FROM {Records} WHERE vault = '{VaultName}'; CREATE TABLE {dump}_v AS SELECT * FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'; "
            + $"CREATE TABLE {dump}_c AS SELECT * FROM keyvault_embedded.commits WHERE vault = '{VaultName}'");
        await a.Secrets.SetSecretAsync("acknowledged-1", "v");
        await a.Secrets.SetSecretAsync("acknowledged-2", "v");
        var seen = a.Core.Generation;

        // The dump restored (its commit log too), then a new instance opens it and writes past what a saw.
        await Cluster.ExecuteAsync($"DELETE FROM {Records} WHERE vault = '{VaultName}'; INSERT INTO {Records} SELECT * FROM {dump}_r; "
            + $"UPDATE keyvault_embedded.vaults v SET generation = d.generation, root = d.root FROM {dump}_v d WHERE v.vault = d.vault; "
            + $"DELETE FROM keyvault_embedded.commits WHERE vault = '{VaultName}'; INSERT INTO keyvault_embedded.commits SELECT * FROM {dump}_c");
        var fresh = await OpenInstanceAsync();
        for (var i = 0; fresh.Core.Generation <= seen + 1; i++)
        {
            await fresh.Secrets.SetSecretAsync($"fork-{i}", "v");
        }

        (await FluentActions.Awaiting(() => a.RefreshAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        (await a.Secrets.GetSecretAsync("acknowledged-2")).Value.Should().Be("v", "the instance keeps what it verified");
        (await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("z", "z")).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
    }

    [Fact]
    public async Task Another_vaults_rows_copied_under_this_vaults_name_are_refused_even_under_the_same_root()
    {
        var other = "other-" + Guid.NewGuid().ToString("N")[..8];
        var x = await OpenDeafAsync(vaultName: other);
        await x.Secrets.SetSecretAsync("db-password", "OTHER-VAULT-VALUE");
        var y = await OpenInstanceAsync();
        await y.Secrets.SetSecretAsync("db-password", "this-vault-value");
        await y.DisposeAsync();
        await x.DisposeAsync();

        await Cluster.ExecuteAsync($"DELETE FROM {Records} WHERE vault = '{VaultName}'; INSERT INTO {Records} SELECT '{VaultName}', id, key, value FROM {Records} WHERE vault = '{other}'; "
            + $"UPDATE keyvault_embedded.vaults v SET generation = o.generation, root = o.root FROM keyvault_embedded.vaults o WHERE v.vault = '{VaultName}' AND o.vault = '{other}'");

        (await FluentActions.Awaiting(() => OpenInstanceAsync()).Should().ThrowAsync<VaultIntegrityException>()).Which.Message.Should().Contain(other);
    }

    [Fact]
    public async Task Two_instances_applying_rotation_policies_at_once_rotate_a_due_key_once()
    {
        var clockA = Clock();
        var clockB = Clock();
        var a = await OpenInstanceAsync(clockA);
        var b = await OpenInstanceAsync(clockB);
        await CreateKeyRotatedAfter30DaysAsync(a, "k");
        await b.RefreshAsync();
        clockA.Advance(TimeSpan.FromDays(31));
        clockB.Advance(TimeSpan.FromDays(31));

        var results = await Task.WhenAll(a.Keys.ApplyRotationPoliciesAsync(), b.Keys.ApplyRotationPoliciesAsync());

        results.Sum(r => r.Rotated.Count).Should().Be(1);
        await a.RefreshAsync();
        (await a.Keys.GetPropertiesOfKeyVersionsAsync("k").CountAsync()).Should().Be(2, "one due rotation made one version");
    }

    [Fact]
    public async Task Two_instances_applying_certificate_lifetime_actions_at_once_renew_a_due_certificate_once()
    {
        var clockA = Clock();
        var clockB = Clock();
        var a = await OpenInstanceAsync(clockA);
        var b = await OpenInstanceAsync(clockB);
        var policy = new KeyVault.Embedded.Certificates.CertificatePolicy(KeyVault.Embedded.Certificates.WellKnownIssuerNames.Self, "CN=web") { KeyType = KeyVault.Embedded.Certificates.CertificateKeyType.Ec, KeyCurveName = KeyVault.Embedded.Certificates.CertificateKeyCurveName.P256 };
        (await a.Certificates.StartCreateCertificateAsync("web", policy)).HasCompleted.Should().BeTrue();
        await b.RefreshAsync();
        clockA.Advance(TimeSpan.FromDays(330)); // past 80% of the default twelve months
        clockB.Advance(TimeSpan.FromDays(330));

        var results = await Task.WhenAll(a.Certificates.ApplyLifetimeActionsAsync(), b.Certificates.ApplyLifetimeActionsAsync());

        results.Sum(r => r.Renewed.Count).Should().Be(1, "one due renewal, whichever instance got there first");
        results.Sum(r => r.Failed.Count).Should().Be(0);
        await a.RefreshAsync();
        (await a.Certificates.GetPropertiesOfCertificateVersionsAsync("web").CountAsync()).Should().Be(2);
    }

    [Fact]
    public async Task A_vault_whose_records_were_emptied_but_whose_head_stayed_is_a_typed_refusal_not_a_new_vault()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await a.DisposeAsync();
        await Cluster.ExecuteAsync($"DELETE FROM {Records} WHERE vault = '{VaultName}'");

        (await FluentActions.Awaiting(() => OpenInstanceAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        (await Cluster.ScalarAsync<long>($"SELECT count(*) FROM {Records} WHERE vault = '{VaultName}'")).Should().Be(0, "no vault was created in its place");
    }

    [Fact]
    public async Task A_write_behind_another_sessions_lock_on_the_vault_honours_the_callers_token()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await using var stuck = new NpgsqlConnection(Cluster.ConnectionString);
        await stuck.OpenAsync();
        await using var tx = await stuck.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand($"SELECT 1 FROM keyvault_embedded.vaults WHERE vault = '{VaultName}' FOR UPDATE", stuck, tx))
        {
            await lockIt.ExecuteNonQueryAsync();
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("x", "y", cts.Token)).Should().ThrowAsync<Exception>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "the caller's token fired at 2 s");
        await tx.RollbackAsync();

        await a.Secrets.SetSecretAsync("x", "y");
        (await a.Secrets.GetSecretAsync("x")).Value.Should().Be("y");
    }

    [Fact]
    public async Task A_vault_row_deleted_while_a_write_waits_for_its_lock_is_an_integrity_error()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("s", "v");
        await using var source = Cluster.NewDataSource();
        await using var conn = await source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM keyvault_embedded.vaults WHERE vault = '{VaultName}' FOR UPDATE", conn, tx))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        var write = a.Secrets.SetSecretAsync("t", "v");
        await UntilAsync("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
        await using (var delete = new NpgsqlCommand($"DELETE FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'", conn, tx))
        {
            await delete.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        await FluentActions.Awaiting(() => write).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task A_read_that_must_catch_up_does_not_wait_behind_this_instances_writer_waiting_for_another_sessions_lock()
    {
        var a = await OpenDeafAsync();
        var b = await OpenInstanceAsync();
        await b.Secrets.SetSecretAsync("s", "v1");
        await a.RefreshAsync(); // a's manifest lists s; its record is not cached on a
        var properties = (await b.Secrets.GetSecretAsync("s")).Properties;
        properties.Tags["t"] = "x";
        await b.Secrets.UpdateSecretPropertiesAsync(properties); // the record a's manifest lists is replaced

        await using var source = Cluster.NewDataSource();
        await using var conn = await source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM keyvault_embedded.vaults WHERE vault = '{VaultName}' FOR UPDATE", conn, tx))
        {
            await lockRow.ExecuteNonQueryAsync(); // another session holds the vault's lock (a long commit, or one cut off)
        }

        var write = a.Secrets.SetSecretAsync("other", "v"); // a's writer waits for that lock, holding a's writer lock
        await UntilAsync("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var read = await a.Secrets.GetSecretAsync("s");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the read catches up from a snapshot, not behind the lock");
        read.Properties.Tags.Should().ContainKey("t");

        await tx.RollbackAsync();
        await write;
    }

    /// <summary>An instance that hears nothing by itself (no LISTEN, a clock that stands still): it sees only what it asks for.</summary>
    private string Row(string key) => $"vault = '{VaultName}' AND key = '{key}'";

    private sealed class SyncProgress(Action<VaultProgress> report) : IProgress<VaultProgress>
    {
        public void Report(VaultProgress value) => report(value);
    }
}
