using KeyVault.Embedded.Access;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// Several instances on one vault in PostgreSQL (issue 15): what one commits, the others see; Azure's rules for
/// concurrent changes hold across instances; access control, key-encryption keys, the audit trail and the background
/// work are shared.
/// </summary>
public sealed class SharedVaultTests(PostgreSqlCluster cluster) : SharedVaultTestBase(cluster)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_commit_on_one_instance_is_seen_by_another_within_a_second_by_notification_alone()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync(); // its clock stands still: no poll runs, so only the notification tells it
        await a.Secrets.SetSecretAsync("db", "v1");
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("db")).Value.Should().Be("v1");

        var heard = CaughtUpAsync(b, a.Core.Generation + 1);
        var written = System.Diagnostics.Stopwatch.StartNew();
        await a.Secrets.SetSecretAsync("db", "v2");
        await heard.WaitAsync(Second);
        written.Elapsed.Should().BeLessThan(Second);

        (await b.Secrets.GetSecretAsync("db")).Value.Should().Be("v2", "the other instance's commit was heard and loaded, without a refresh asked for");
    }

    [Fact]
    public async Task An_instance_reads_its_own_writes_at_once_and_a_refresh_brings_in_everything_committed_before_it()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        for (var i = 0; i < 5; i++)
        {
            await a.Secrets.SetSecretAsync($"s{i}", $"a-{i}");
            (await a.Secrets.GetSecretAsync($"s{i}")).Value.Should().Be($"a-{i}", "read-your-writes on the instance that wrote");
        }

        await b.RefreshAsync();
        b.Core.Generation.Should().Be(a.Core.Generation);
        for (var i = 0; i < 5; i++)
        {
            (await b.Secrets.GetSecretAsync($"s{i}")).Value.Should().Be($"a-{i}");
        }

        await b.Secrets.SetSecretAsync("from-b", "b");
        await a.RefreshAsync();
        (await a.Secrets.GetSecretAsync("from-b")).Value.Should().Be("b");
    }

    [Fact]
    public async Task Two_instances_setting_one_secret_at_once_both_make_versions_and_the_later_is_current()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(string Version, string Value)>();
        async Task WriteAsync(EmbeddedVault vault, string who)
        {
            for (var i = 0; i < 15; i++)
            {
                var set = await vault.Secrets.SetSecretAsync("shared", $"{who}-{i}");
                acknowledged.Add((set.Properties.Version!, set.Value));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(w => new[] { WriteAsync(a, $"a{w}"), WriteAsync(b, $"b{w}") }));

        await a.RefreshAsync();
        await b.RefreshAsync();
        foreach (var vault in new[] { a, b })
        {
            var versions = await vault.Secrets.GetPropertiesOfSecretVersionsAsync("shared").ToListAsync();
            versions.Select(v => v.Version).Should().BeEquivalentTo(acknowledged.Select(x => x.Version), "every acknowledged set made a version: none lost, none extra");
            foreach (var (version, value) in acknowledged)
            {
                (await vault.Secrets.GetSecretAsync("shared", version)).Value.Should().Be(value);
            }
        }

        var current = (await a.Secrets.GetSecretAsync("shared")).Value;
        (await b.Secrets.GetSecretAsync("shared")).Value.Should().Be(current, "both instances agree on the current version");
    }

    [Fact]
    public async Task Of_two_instances_updating_one_version_from_the_same_read_the_later_gets_a_conflict_and_changes_nothing()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("db", "v");
        await b.RefreshAsync();
        var onA = (await a.Secrets.GetSecretAsync("db")).Properties;
        var onB = (await b.Secrets.GetSecretAsync("db")).Properties;

        onA.Tags["owner"] = "team-a";
        await a.Secrets.UpdateSecretPropertiesAsync(onA);
        onB.ContentType = "text/plain";
        var lost = (await FluentActions.Awaiting(() => b.Secrets.UpdateSecretPropertiesAsync(onB)).Should().ThrowAsync<VaultException>()).Which;

        lost.ErrorCode.Should().Be(VaultErrorCode.Conflict);
        lost.Status.Should().Be(409);
        var stored = (await b.Secrets.GetSecretAsync("db")).Properties;
        stored.Tags.Should().ContainKey("owner", "the first update stands");
        stored.ContentType.Should().BeNull("the refused update changed nothing");

        stored.ContentType = "text/plain"; // read again, apply again: it goes through, keeping the other's change
        (await b.Secrets.UpdateSecretPropertiesAsync(stored)).Tags.Should().ContainKey("owner");
        (await b.Secrets.UpdateSecretPropertiesAsync(stored)).ContentType.Should().Be("text/plain", "properties that made an update may make the next one");
    }

    [Fact]
    public async Task A_purge_racing_a_recover_on_two_instances_applies_in_lock_order_and_the_loser_gets_the_error_the_state_gives()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("db", "v");
        await (await a.Secrets.StartDeleteSecretAsync("db")).WaitForCompletionAsync();
        await b.RefreshAsync();

        var recover = a.Secrets.StartRecoverDeletedSecretAsync("db");
        var purge = b.Secrets.PurgeDeletedSecretAsync("db");
        var outcomes = await Task.WhenAll(Outcome(recover), Outcome(purge));

        outcomes.Count(o => o is null).Should().Be(1, "one of the two applies");
        var loser = outcomes.Single(o => o is not null)!;
        loser.Status.Should().BeOneOf([404, 409], "the loser hears the state it lost to, not a fault ({0})", loser.ToString());
        await a.RefreshAsync();
        var recovered = outcomes[0] is null;
        if (recovered)
        {
            (await a.Secrets.GetSecretAsync("db")).Value.Should().Be("v");
        }
        else
        {
            await FluentActions.Awaiting(() => a.Secrets.GetSecretAsync("db")).Should().ThrowAsync<VaultObjectNotFoundException>();
            await FluentActions.Awaiting(() => a.Secrets.GetDeletedSecretAsync("db")).Should().ThrowAsync<VaultObjectNotFoundException>("it was purged");
        }

        static async Task<VaultException?> Outcome(Task task)
        {
            try
            {
                await task;
                return null;
            }
            catch (VaultException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task Eight_writers_on_each_of_three_instances_lose_no_update()
    {
        var instances = new[] { await OpenInstanceAsync(), await OpenInstanceAsync(), await OpenInstanceAsync() };
        var writes = instances.SelectMany((vault, n) => Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 6; i++)
            {
                await vault.Secrets.SetSecretAsync($"i{n}-w{w}-{i}", $"value-{n}-{w}-{i}");
                await vault.Secrets.SetSecretAsync("counter", $"{n}-{w}-{i}");
            }
        })));
        await Task.WhenAll(writes);

        foreach (var vault in instances)
        {
            await vault.RefreshAsync();
            var names = await vault.Secrets.GetPropertiesOfSecretsAsync().Select(p => p.Name).ToListAsync();
            names.Should().HaveCount((3 * 8 * 6) + 1);
            (await vault.Secrets.GetPropertiesOfSecretVersionsAsync("counter").CountAsync()).Should().Be(3 * 8 * 6);
            (await vault.Secrets.GetSecretAsync("i2-w7-5")).Value.Should().Be("value-2-7-5");
        }
    }

    [Fact]
    public async Task Instances_opening_an_empty_vault_at_once_all_open_the_one_vault_that_was_created()
    {
        var opens = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OpenInstanceAsync()));

        opens.Select(v => v.Core.Header.VaultId).Distinct().Should().ContainSingle("one creation won, and the others opened it");
        await opens[0].Secrets.SetSecretAsync("s", "v");
        await opens[3].RefreshAsync();
        (await opens[3].Secrets.GetSecretAsync("s")).Value.Should().Be("v");
    }

    [Fact]
    public async Task A_key_encryption_key_rotated_by_one_instance_is_taken_up_by_the_others()
    {
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("old", "sealed-under-kek-1");
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("old")).Value.Should().Be("sealed-under-kek-1");

        await a.RotateKeyEncryptionKeyAsync();
        await a.Secrets.SetSecretAsync("new", "sealed-under-kek-2");

        await b.RefreshAsync();
        b.Core.Header.CurrentKekVersion.Should().Be(a.Core.Header.CurrentKekVersion).And.BeGreaterThan(1);
        (await b.Secrets.GetSecretAsync("new")).Value.Should().Be("sealed-under-kek-2");
        (await b.Secrets.GetSecretAsync("old")).Value.Should().Be("sealed-under-kek-1");
        await b.Secrets.SetSecretAsync("from-b", "after-rotation");
        await a.RefreshAsync();
        (await a.Secrets.GetSecretAsync("from-b")).Value.Should().Be("after-rotation");
    }

    [Fact]
    public async Task Role_assignments_made_on_one_instance_apply_on_the_others()
    {
        var admin = new VaultPrincipal("admin-oid", "admin");
        var web = new VaultPrincipal("web-oid", "web");
        var a = await OpenInstanceAsync();
        var b = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("web-db", "w");
        await a.Secrets.SetSecretAsync("payroll", "p");
        await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, admin.ObjectId);
        using (a.RunAs(admin))
        {
            await a.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
            await a.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("web-db"), KeyVaultRoles.SecretsUser.Id, web.ObjectId);
        }

        await b.RefreshAsync();
        using (b.RunAs(web))
        {
            (await b.Secrets.GetSecretAsync("web-db")).Value.Should().Be("w");
            var denied = (await FluentActions.Awaiting(() => b.Secrets.GetSecretAsync("payroll")).Should().ThrowAsync<VaultException>()).Which;
            denied.InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac, "the other instance's access control is this one's");
        }

        (await FluentActions.Awaiting(() => b.Secrets.SetSecretAsync("x", "y")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403, "the application has no assignment");
    }

    [Fact]
    public async Task The_audit_trail_holds_every_instances_records_in_one_chain_that_verifies()
    {
        var a = await OpenInstanceAsync(configure: o => o.Audit.Enabled = true);
        var b = await OpenInstanceAsync(configure: o => o.Audit.Enabled = true);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var vault = i % 2 == 0 ? a : b;
            for (var j = 0; j < 5; j++)
            {
                await vault.Secrets.SetSecretAsync($"s{i}-{j}", "v");
                await vault.Secrets.GetSecretAsync($"s{i}-{j}");
            }
        })));

        var verification = await a.VerifyAuditAsync();
        verification.IsIntact.Should().BeTrue(verification.Problem);
        var events = await b.GetAuditEventsAsync();
        events.Count(e => e.OperationName == "SecretSet").Should().Be(20, "each instance's writes are recorded once, in the one chain");
        events.Count(e => e.OperationName == "SecretGet").Should().Be(20);
        (await b.VerifyAuditAsync()).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task A_background_pass_on_two_instances_at_once_rotates_a_due_key_and_purges_a_due_secret_once()
    {
        var clockA = Clock();
        var clockB = Clock();
        var a = await OpenInstanceAsync(clockA);
        var b = await OpenInstanceAsync(clockB);
        await CreateKeyRotatedAfter30DaysAsync(a, "k");
        await a.Secrets.SetSecretAsync("gone", "v");
        await (await a.Secrets.StartDeleteSecretAsync("gone")).WaitForCompletionAsync();
        foreach (var clock in new[] { clockA, clockB })
        {
            clock.Advance(TimeSpan.FromDays(91));
        }

        var pass = new BackgroundPass(NullLogger.Instance, TimeSpan.FromDays(30));
        var results = await Task.WhenAll(pass.RunAsync(a, CancellationToken.None), pass.RunAsync(b, CancellationToken.None));

        results.Sum(r => r.Rotated).Should().Be(1, "the due rotation ran on one instance only");
        results.Sum(r => r.Purged).Should().Be(1);
        await a.RefreshAsync();
        (await a.Keys.GetPropertiesOfKeyVersionsAsync("k").CountAsync()).Should().Be(2);

        // The next pass, on the other instance, sees what the first did: nothing is due twice.
        var again = await pass.RunAsync(results[0].RanElsewhere ? a : b, CancellationToken.None);
        again.Rotated.Should().Be(0);
        again.Purged.Should().Be(0);
    }
}
