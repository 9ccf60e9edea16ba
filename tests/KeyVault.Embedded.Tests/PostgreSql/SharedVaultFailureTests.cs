using System.Collections.Concurrent;
using KeyVault.Embedded.PostgreSql;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// Failures of the database and of instances (issue 15), each on a cluster of its own: a lost connection is a typed
/// transient error and the vault reconnects by itself; PostgreSQL restarted under load, an instance killed with SIGKILL
/// mid-write and a synchronous standby promoted while instances write lose no acknowledged write; three processes on
/// one vault for a minute lose no update and agree.
/// </summary>
public sealed class SharedVaultFailureTests : IDisposable
{
    private readonly PostgreSqlCluster _cluster = new();
    private readonly string _vault = "vault-" + Guid.NewGuid().ToString("N")[..12];
    private readonly byte[] _key = TestVaults.NewKey();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task A_lost_database_fails_calls_with_a_typed_transient_error_and_the_vault_carries_on_once_it_is_back()
    {
        await using var vault = await OpenAsync();
        await vault.Secrets.SetSecretAsync("before", "v1");
        _cluster.Stop();

        var failed = (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("during", "v2")).Should().ThrowAsync<VaultException>()).Which;
        failed.ErrorCode.Should().Be(VaultErrorCode.StorageUnavailable);
        failed.Status.Should().Be(503);
        failed.Message.Should().Contain("127.0.0.1").And.NotContain("Username").And.NotContain("Password");
        (await vault.Secrets.GetSecretAsync("before")).Value.Should().Be("v1", "a cached, verified record is served while the database is away");
        (await FluentActions.Awaiting(() => vault.RefreshAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.StorageUnavailable);

        _cluster.Start();
        await vault.Secrets.SetSecretAsync("after", "v3");
        await using var fresh = await OpenAsync();
        (await fresh.Secrets.GetSecretAsync("after")).Value.Should().Be("v3");
        await FluentActions.Awaiting(() => fresh.Secrets.GetSecretAsync("during")).Should().ThrowAsync<VaultObjectNotFoundException>("the failed write was not made");
    }

    [Fact]
    public async Task PostgreSQL_restarted_under_load_loses_no_acknowledged_write_and_every_error_is_typed()
    {
        var instances = new[] { await OpenAsync(), await OpenAsync() };
        var acknowledged = new Acknowledged();
        var errors = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource();
        var writers = StartWriters(instances, 4, acknowledged, errors, stop.Token);

        await acknowledged.AtLeastAsync(100);
        _cluster.Stop();
        var before = acknowledged.Count;
        _cluster.Start();
        await acknowledged.AtLeastAsync(before + 100);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        errors.Should().OnlyContain(e => e is VaultException && ((VaultException)e).ErrorCode == VaultErrorCode.StorageUnavailable, "a lost connection is the typed transient error, never anything else");
        await using var fresh = await OpenAsync();
        foreach (var (name, value) in acknowledged.All)
        {
            (await fresh.Secrets.GetSecretAsync(name)).Value.Should().Be(value, $"'{name}' was acknowledged");
        }

        foreach (var vault in instances)
        {
            await vault.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_instance_killed_with_SIGKILL_mid_write_loses_no_acknowledged_write_and_the_others_carry_on()
    {
        await using var survivor = await OpenAsync();
        await survivor.Secrets.SetSecretAsync("seed", "s");
        var acknowledged = new List<string>();
        using (var child = ChildProcess.Start("pg-write", _cluster.ConnectionString, _vault, Convert.ToHexString(_key), "k"))
        {
            child.ExpectLine().Should().Be("OPEN");
            var writing = Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++)
                {
                    await survivor.Secrets.SetSecretAsync($"survivor-{i}", "v");
                }
            });
            while (acknowledged.Count < 60)
            {
                var line = child.ExpectLine();
                if (line.StartsWith("ACK ", StringComparison.Ordinal))
                {
                    acknowledged.Add(line[4..]);
                }
            }

            child.Kill();
            await writing;
        }

        // The killed instance's connection died with it, and its transaction (and the vault's lock) with that.
        await survivor.Secrets.SetSecretAsync("after-kill", "v");
        await survivor.RefreshAsync();
        foreach (var name in acknowledged)
        {
            (await survivor.Secrets.GetSecretAsync(name)).Value.Should().Be($"value-{name}");
        }
    }

    [Fact]
    public async Task A_synchronous_standby_promoted_while_instances_write_has_every_acknowledged_write_and_the_instances_carry_on_against_it()
    {
        using var standby = await _cluster.StartSynchronousStandbyAsync();
        var both = $"Host=127.0.0.1:{_cluster.Port},127.0.0.1:{standby.Port};Username=kv;Database=postgres;Target Session Attributes=primary;Timeout=5";
        var instances = new[] { await OpenAsync(both), await OpenAsync(both) };
        var acknowledged = new Acknowledged();
        var errors = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource();
        var writers = StartWriters(instances, 3, acknowledged, errors, stop.Token);

        await acknowledged.AtLeastAsync(60);
        _cluster.Stop(); // the primary is lost
        standby.Promote();
        var promotedAt = acknowledged.Count;
        await acknowledged.AtLeastAsync(promotedAt + 60);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        errors.Should().OnlyContain(e => e is VaultException && ((VaultException)e).ErrorCode == VaultErrorCode.StorageUnavailable);
        var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_key), TimeProvider = new FakeTimeProvider() };
        options.UsePostgreSql($"Host=127.0.0.1;Port={standby.Port};Username=kv;Database=postgres", _vault);
        await using var onPromoted = await EmbeddedVault.OpenAsync(options);
        foreach (var (name, value) in acknowledged.All)
        {
            (await onPromoted.Secrets.GetSecretAsync(name)).Value.Should().Be(value, $"'{name}' was acknowledged, so the synchronous standby has it");
        }

        foreach (var vault in instances)
        {
            await vault.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_commit_whose_wait_for_a_lost_synchronous_standby_is_cancelled_is_not_reported_as_a_success()
    {
        using var standby = await _cluster.StartSynchronousStandbyAsync();
        await using var vault = await OpenAsync(_cluster.ConnectionString + ";Command Timeout=2");
        await vault.Secrets.SetSecretAsync("before", "v");
        standby.Stop();

        // The COMMIT waits for the standby until the command times out; PostgreSQL then keeps it on the primary with a
        // warning only. A failover to that standby would lose it, so the caller must not hear "done".
        var error = (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("during", "v")).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.StorageUnavailable);
        error.Message.Should().Contain("synchronous standby");
    }

    [Fact]
    public async Task A_commit_whose_session_ends_while_it_waits_for_a_lost_synchronous_standby_is_not_reported_as_a_success()
    {
        using var standby = await _cluster.StartSynchronousStandbyAsync();
        await using var vault = await OpenAsync(_cluster.ConnectionString + ";Command Timeout=60");
        await vault.Secrets.SetSecretAsync("before", "v");
        standby.Stop();

        var write = vault.Secrets.SetSecretAsync("during", "v");
        var bound = System.Diagnostics.Stopwatch.StartNew();
        while (await _cluster.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == 0)
        {
            bound.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "the COMMIT waits for the standby");
            await Task.Yield();
        }

        // An administrator (or a fast shutdown of the primary) ends the session waiting for the standby.
        await _cluster.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");

        var error = (await FluentActions.Awaiting(() => write).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.StorageUnavailable, "the primary kept it, the standby may not have it: never a success");
        (await _cluster.ScalarAsync<long>($"SELECT count(*) FROM keyvault_embedded.records WHERE vault = '{_vault}' AND key LIKE 'secrets/during%'")).Should().BeGreaterThan(0, "the primary kept the commit");
    }

    [Fact]
    public async Task A_whole_vault_backup_of_a_database_vault_restores_into_a_file_and_restore_refuses_database_options()
    {
        await using var vault = await OpenAsync();
        await vault.Secrets.SetSecretAsync("s", "value");
        using var dir = new TempDirectory();
        var backup = dir.File("b.kvbackup");
        await vault.BackupAsync(backup);

        var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_key) };
        options.UsePostgreSql(_cluster.ConnectionString, "restored");
        (await FluentActions.Awaiting(() => EmbeddedVault.RestoreAsync(backup, options)).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.BadParameter);

        var file = dir.File("restored.db");
        await EmbeddedVault.RestoreAsync(backup, TestVaults.Options(file, _key));
        await using var restored = await TestVaults.OpenAsync(file, _key);
        (await restored.Secrets.GetSecretAsync("s")).Value.Should().Be("value");
        await restored.Secrets.SetSecretAsync("t", "v");
    }

    [Fact]
    public async Task Three_processes_on_one_vault_for_a_minute_lose_no_update_see_every_acknowledged_write_and_keep_one_audit_chain()
    {
        var children = Enumerable.Range(0, 3).Select(id => ChildProcess.Start("pg-mixed", _cluster.ConnectionString, _vault, Convert.ToHexString(_key), id.ToString(System.Globalization.CultureInfo.InvariantCulture), "60")).ToList();
        try
        {
            var readers = children.Select(child => Task.Run(() =>
            {
                var lines = new List<string>();
                for (var line = child.ExpectLine(); line != "WRITTEN"; line = child.ExpectLine())
                {
                    line.Should().NotStartWith("FATAL");
                    lines.Add(line);
                }

                return lines;
            })).ToList();
            var logs = await Task.WhenAll(readers);

            var sets = logs.SelectMany(l => l).Where(l => l.StartsWith("SET ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToDictionary(p => p[1], p => p[2]);
            var shared = logs.SelectMany(l => l).Where(l => l.StartsWith("SHARED ", StringComparison.Ordinal)).Select(l => l[7..]).ToList();
            sets.Should().HaveCountGreaterThan(30);
            foreach (var child in children)
            {
                child.WriteLine("check");
            }

            foreach (var child in children)
            {
                var seen = child.ExpectLine().Split(' ');
                seen[0].Should().Be("SEES");
                int.Parse(seen[1], System.Globalization.CultureInfo.InvariantCulture).Should().Be(sets.Count + 1, "every instance sees every acknowledged secret (and the shared one)");
                int.Parse(seen[2], System.Globalization.CultureInfo.InvariantCulture).Should().Be(shared.Count, "every set of the shared secret made a version, on every instance");
                seen[3].Should().Be("True", "the audit chain all three wrote verifies");
                child.WaitForExit(TimeSpan.FromMinutes(1)).Should().BeTrue();
                child.ExitCode.Should().Be(0);
            }

            var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_key), TimeProvider = new FakeTimeProvider(), Audit = { Enabled = true } };
            options.UsePostgreSql(_cluster.ConnectionString, _vault);
            await using var fresh = await EmbeddedVault.OpenAsync(options);
            foreach (var (name, value) in sets)
            {
                (await fresh.Secrets.GetSecretAsync(name)).Value.Should().Be(value);
            }

            (await fresh.Secrets.GetPropertiesOfSecretVersionsAsync("shared").Select(p => p.Version).ToListAsync()).Should().BeEquivalentTo(shared);
            (await fresh.VerifyAuditAsync()).IsIntact.Should().BeTrue();
        }
        finally
        {
            foreach (var child in children)
            {
                child.Dispose();
            }
        }
    }

    private async Task<EmbeddedVault> OpenAsync(string? connectionString = null)
    {
        var options = new EmbeddedVaultOptions { RootKey = SoftwareRootKey.FromBytes(_key), TimeProvider = new FakeTimeProvider() };
        options.UsePostgreSql(new PostgreSqlVaultOptions { ConnectionString = connectionString ?? _cluster.ConnectionString + ";Timeout=5", VaultName = _vault });
        return await EmbeddedVault.OpenAsync(options);
    }

    /// <summary>
    /// <paramref name="perInstance"/> writers on each instance, each setting secrets of its own until
    /// <paramref name="stop"/>: what was acknowledged, and every error.
    /// </summary>
    private static List<Task> StartWriters(EmbeddedVault[] instances, int perInstance, Acknowledged acknowledged, ConcurrentBag<Exception> errors, CancellationToken stop) =>
        instances.SelectMany((vault, n) => Enumerable.Range(0, perInstance).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var (name, value) = ($"i{n}-w{w}-{i}", $"value-{n}-{w}-{i}");
                try
                {
                    await vault.Secrets.SetSecretAsync(name, value);
                    acknowledged.Add(name, value);
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            }
        }))).ToList();

    /// <summary>The writes acknowledged so far, and a wait for their count to reach a number (bounded at two minutes).</summary>
    private sealed class Acknowledged
    {
        private readonly ConcurrentDictionary<string, string> _all = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiting = [];

        public int Count => _all.Count;

        public IReadOnlyDictionary<string, string> All => _all;

        public void Add(string name, string value)
        {
            _all[name] = value;
            lock (_waiting)
            {
                foreach (var waiter in _waiting.Where(w => _all.Count >= w.Count))
                {
                    waiter.Reached.TrySetResult();
                }
            }
        }

        public Task AtLeastAsync(int count)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiting)
            {
                _waiting.Add((count, reached));
                if (_all.Count >= count)
                {
                    reached.TrySetResult();
                }
            }

            return reached.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }
    }
}
