using System.Net;
using System.Net.Sockets;
using System.Text;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.PostgreSql;
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
    private const string LockWaits = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'";

    [Fact]
    public async Task A_write_built_on_a_view_another_instance_moved_past_runs_again_after_catching_up_and_is_recorded_once()
    {
        var (a, b) = await DeafAndListeningAsync(audit: true);
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
        var (a, b) = await DeafAndListeningAsync(audit: false);
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
    public async Task A_catch_up_that_moves_the_view_while_an_optimistic_group_runs_makes_the_group_run_again()
    {
        var (a, b) = await DeafAndListeningAsync(audit: false);
        var runs = 0;

        await a.Core.Writer.WriteAsync(async tx =>
        {
            runs++;
            if (runs == 1)
            {
                // Decided on the view before; then a catch-up (here a refresh; a notification, a read that missed)
                // brings the view to the head: a commit built on the view after would pass the database's check.
                await b.Secrets.SetSecretAsync("other", "x");
                await a.RefreshAsync();
            }

            VaultSettings.Put(tx, "test/x", "v" + runs);
            return true;
        });

        runs.Should().Be(2, "what the first run decided was decided on a view that moved under it");
        a.Core.Writer.StaleGroups.Should().Be(1);
    }

    [Fact]
    public async Task A_refusal_read_under_a_stale_listing_runs_again_even_when_a_catch_up_lands_while_the_head_is_read()
    {
        HookedSharedStore? hooked = null;
        var a = await OpenDeafAsync(o =>
        {
            var open = o.StoreFactory!;
            o.StoreFactory = path => hooked = new HookedSharedStore((KeyVault.Embedded.Storage.ISharedRecordStore)open(path));
        });
        var b = await OpenInstanceAsync();
        await b.Secrets.SetSecretAsync("db", "v");
        await (await b.Secrets.StartDeleteSecretAsync("db")).WaitForCompletionAsync();
        await a.RefreshAsync(); // a lists db as deleted, and has not read its record yet
        await (await b.Secrets.StartRecoverDeletedSecretAsync("db")).WaitForCompletionAsync(); // a hears nothing of it

        // a's purge runs on its view and reads the record b's recover rewrote, which disagrees with a's listing. While a
        // reads the head to learn whether that refusal stands, a catch-up (a notification, a read) brings its view to
        // the head: the view is then current, but what the purge read was read under the older listing.
        var landed = -1L;
        hooked!.BeforeNextHeadReturns(async () =>
        {
            await a.RefreshAsync();
            landed = a.Core.Generation;
        });
        var error = (await FluentActions.Awaiting(() => a.Secrets.PurgeDeletedSecretAsync("db")).Should().ThrowAsync<VaultException>()).Which;

        landed.Should().Be(b.Core.Generation, "the catch-up landed inside the head read that judged the refusal");

        error.Should().NotBeOfType<VaultIntegrityException>("the record was replaced by a commit, not tampered with");
        error.Status.Should().Be(404, "run again on the head, where db is not deleted: there is no deleted secret to purge ({0})", error.ToString());
        a.Core.Writer.StaleGroups.Should().Be(1);
        (await a.Secrets.GetSecretAsync("db")).Value.Should().Be("v");
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
        await UntilAsync(LockWaits);
        write.IsCompleted.Should().BeFalse("refused without the lock, the write waits for it");
        await transaction.RollbackAsync();

        (await write).Value.Should().Be("2");
        a.Core.Writer.StaleGroups.Should().Be(1);
        (await a.Secrets.GetSecretAsync("s")).Value.Should().Be("2");
    }

    [Fact]
    public async Task An_operation_whose_second_write_runs_again_keeps_the_one_record_its_first_write_committed()
    {
        var (a, b) = await DeafAndListeningAsync(audit: true);

        await AuditTrail.RecordAsync(a.Core, "TwoWrites", async () =>
        {
            await a.Core.Writer.WriteAsync(tx => { VaultSettings.Put(tx, "test/one", "1"); return ValueTask.FromResult(true); });
            await b.Secrets.SetSecretAsync("other", "x"); // a hears nothing of it
            await a.Core.Writer.WriteAsync(tx => { VaultSettings.Put(tx, "test/two", "2"); return ValueTask.FromResult(true); });
        });

        a.Core.Writer.StaleGroups.Should().Be(1);
        await b.RefreshAsync();
        (await b.GetAuditEventsAsync()).Count(e => e.OperationName == "TwoWrites").Should().Be(1, "one operation, one record, made durable with its first write");
    }

    [Fact]
    public async Task A_unit_of_work_run_again_runs_under_the_lock_so_another_instance_cannot_make_it_stale_twice()
    {
        var (a, b) = await DeafAndListeningAsync(audit: false);
        var runs = 0;
        Task? blocked = null;

        await a.Core.Writer.WriteAsync(async tx =>
        {
            runs++;
            if (runs == 1)
            {
                await b.Secrets.SetSecretAsync("other", "x1"); // commits before a's first try: a is stale
            }
            else
            {
                blocked = b.Secrets.SetSecretAsync("other", "x2"); // a holds the vault's lock now: b waits for it
                await UntilAsync(LockWaits);
            }

            VaultSettings.Put(tx, "test/x", "v" + runs);
            return true;
        });

        runs.Should().Be(2, "stale once, then run under the lock, which no other commit can overtake");
        a.Core.Writer.StaleGroups.Should().Be(1);
        await blocked!;
        await b.RefreshAsync();
        (await b.Secrets.GetSecretAsync("other")).Value.Should().Be("x2");
    }

    [Fact]
    public async Task A_batch_held_in_the_network_past_the_clients_timeout_never_commits_after_it_was_reported_not_made()
    {
        using var proxy = new HoldingProxy(Cluster.Port, "FOR UPDATE NOWAIT");
        var proxied = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString) { Port = proxy.Port, CommandTimeout = 2, CancellationTimeout = 500 }.ConnectionString;
        var a = await OpenInstanceAsync(configure: o =>
        {
            o.StoreProvider = null;
            o.Path = "proxied-instance-of-" + VaultName;
            o.StoreFactory = _ => PostgreSqlRecordStore.OpenAsync(NpgsqlDataSource.Create(proxied), VaultName, ownsDataSource: true, listen: false).AsTask().GetAwaiter().GetResult();
        });
        await a.Secrets.SetSecretAsync("s", "1");
        var before = await Cluster.ScalarAsync<long>($"SELECT generation FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'");

        proxy.Arm(); // the next batch that locks the row is held, as a stalled network holds it
        var error = (await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("s", "2")).Should().ThrowAsync<VaultException>()).Which;
        proxy.Held.Should().BeTrue();
        error.ErrorCode.Should().Be(VaultErrorCode.StorageUnavailable);

        // The network heals: the held bytes go on to the server. Reported not made, the commit must never happen: its
        // session was ended before the outcome was read, so the server closes the held connection instead.
        proxy.Release();
        var outcome = await Task.WhenAny(proxy.ServerAnswered, proxy.ServerClosed).WaitAsync(TimeSpan.FromSeconds(30));
        outcome.Should().BeSameAs(proxy.ServerClosed, "the session that carried the batch was gone before the outcome was given");
        (await Cluster.ScalarAsync<long>($"SELECT generation FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'")).Should().Be(before);
        (await a.Secrets.GetSecretAsync("s")).Value.Should().Be("1");
    }

    /// <summary>
    /// Instance a, which hears nothing by itself (its view moves only by its own writes and catch-ups), and instance b,
    /// which listens; a wrote secret <c>s</c> once, and b has caught up with it.
    /// </summary>
    private async Task<(EmbeddedVault A, EmbeddedVault B)> DeafAndListeningAsync(bool audit)
    {
        var a = await OpenDeafAsync(o => o.Audit.Enabled = audit);
        var b = await OpenInstanceAsync(configure: o => o.Audit.Enabled = audit);
        await a.Secrets.SetSecretAsync("s", "1");
        await b.RefreshAsync();
        return (a, b);
    }

    /// <summary>
    /// A TCP proxy to the cluster that, once armed, holds the client's bytes of the connection whose next message holds
    /// <c>marker</c> (a stalled network), until released; it reports whether the server then answered on that
    /// connection or closed it.
    /// </summary>
    private sealed class HoldingProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly int _target;
        private readonly byte[] _marker;
        private readonly object _gate = new();
        private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private (NetworkStream Server, List<byte[]> Bytes)? _held;
        private volatile bool _armed;
        private volatile bool _released;

        public HoldingProxy(int target, string marker)
        {
            _target = target;
            _marker = Encoding.ASCII.GetBytes(marker);
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public bool Held
        {
            get
            {
                lock (_gate)
                {
                    return _held is not null;
                }
            }
        }

        public Task ServerAnswered => _answered.Task;

        public Task ServerClosed => _closed.Task;

        public void Arm() => _armed = true;

        public void Release()
        {
            lock (_gate)
            {
                _released = true;
                if (_held is { } held)
                {
                    try
                    {
                        foreach (var chunk in held.Bytes)
                        {
                            held.Server.Write(chunk);
                        }

                        held.Server.Flush();
                    }
                    catch (IOException)
                    {
                        _closed.TrySetResult(); // the server side is gone already
                    }
                }
            }
        }

        public void Dispose() => _listener.Stop();

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target);
                var connection = new Connection(client.GetStream(), server.GetStream());
                _ = ToServerAsync(connection);
                _ = ToClientAsync(connection);
            }
        }

        private async Task ToServerAsync(Connection connection)
        {
            var buffer = new byte[65536];
            try
            {
                while (await connection.Client.ReadAsync(buffer) is var n and > 0)
                {
                    var chunk = buffer[..n];
                    lock (_gate)
                    {
                        if (_armed && !connection.Held && chunk.AsSpan().IndexOf(_marker) >= 0)
                        {
                            (_armed, connection.Held, _held) = (false, true, (connection.Server, new List<byte[]>()));
                        }

                        if (connection.Held && !_released)
                        {
                            _held!.Value.Bytes.Add(chunk);
                            continue;
                        }
                    }

                    await connection.Server.WriteAsync(chunk);
                }
            }
            catch (IOException)
            {
            }

            if (!connection.Held)
            {
                connection.Server.Socket.Shutdown(SocketShutdown.Send);
            }
        }

        private async Task ToClientAsync(Connection connection)
        {
            var buffer = new byte[65536];
            try
            {
                while (await connection.Server.ReadAsync(buffer) is var n and > 0)
                {
                    if (connection.Held && _released)
                    {
                        _answered.TrySetResult();
                    }

                    try
                    {
                        await connection.Client.WriteAsync(buffer.AsMemory(0, n));
                    }
                    catch (IOException)
                    {
                        // the client gave the connection up
                    }
                }
            }
            catch (IOException)
            {
            }

            if (connection.Held)
            {
                _closed.TrySetResult();
            }
        }

        private sealed class Connection(NetworkStream client, NetworkStream server)
        {
            public NetworkStream Client { get; } = client;

            public NetworkStream Server { get; } = server;

            public bool Held { get; set; }
        }
    }
}
