using System.Diagnostics;
using System.Text;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Audit;

/// <summary>
/// The audit trail's retention (pruning with a checkpoint that keeps the chain verifiable), strict mode (a call returns
/// only once its record is durable), where a record says the call came from, and the flush window on the real clock.
/// </summary>
public sealed class AuditRetentionAndStrictTests : IDisposable
{
    private const string Checkpoint = "settings/audit/checkpoint";
    private readonly TempDirectory _dir = new();
    private readonly InMemoryRecordStore _store = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly byte[] _key = TestVaults.NewKey();
    private SpyRecordStore? _spy;

    [Fact]
    public async Task Pruning_removes_the_blocks_past_the_retention_and_the_chain_verifies_from_its_checkpoint()
    {
        await using (var vault = await OpenAsync(o => o.Audit.RetentionDays = 30))
        {
            await vault.Secrets.SetSecretAsync("s0", "v");
            await vault.Secrets.SetSecretAsync("s1", "v");
            (await vault.PruneAuditAsync()).Should().Be(0, "nothing is older than 30 days yet");
            _time.Advance(TimeSpan.FromDays(31));
            await vault.Core.Audit!.Flushing; // the first prune's record, in its window's block
            await vault.Secrets.SetSecretAsync("s2", "v");

            (await vault.PruneAuditAsync()).Should().Be(3, "the two writes and the first prune are past the retention");
            Blocks().Should().HaveCount(2, "the third write's block, and the prune's own");
            var verification = await vault.VerifyAuditAsync();
            verification.IsIntact.Should().BeTrue(verification.Problem);
            verification.FirstSequence.Should().Be(4);
            verification.RecordCount.Should().Be(2, "the third write and the prune (this verify's own record follows it)");
        }

        await using (var reopened = await OpenAsync(o => o.Audit.RetentionDays = 30))
        {
            (await reopened.VerifyAuditAsync()).IsIntact.Should().BeTrue("the chain's start is read back from the checkpoint");
            (await reopened.GetAuditEventsAsync()).Select(e => e.OperationName).Should().Equal("SecretSet", "AuditPrune", "AuditRead", "AuditRead");
        }
    }

    [Fact]
    public async Task A_checkpoint_edited_removed_or_put_back_older_is_named_by_verify()
    {
        await using (var vault = await OpenAsync(o => o.Audit.RetentionDays = 1))
        {
            await vault.Secrets.SetSecretAsync("s0", "v");
            _time.Advance(TimeSpan.FromDays(2));
            await vault.Secrets.SetSecretAsync("s1", "v");
            await vault.PruneAuditAsync();
        }

        var checkpoint = _store.Records[Checkpoint];
        _store.Records[Checkpoint] = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(checkpoint).Replace("\"block\":2", "\"block\":3", StringComparison.Ordinal));
        (await VerifyFreshAsync()).Problem.Should().Contain("checkpoint");

        _store.Records.Remove(Checkpoint);
        var removed = await VerifyFreshAsync();
        removed.FirstBadSequence.Should().Be(1, "without its checkpoint the chain must start at the first record, which is gone");

        _store.Records[Checkpoint] = checkpoint;
        (await VerifyFreshAsync()).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task A_retention_out_of_range_is_refused_at_open_naming_the_setting()
    {
        var refused = await FluentActions.Awaiting(() => OpenAsync(o => o.Audit.RetentionDays = -1)).Should().ThrowAsync<VaultException>();
        refused.Which.Message.Should().Contain("Audit.RetentionDays");
        _store.Records.Should().BeEmpty("nothing was created");
    }

    [Fact]
    public async Task In_strict_mode_a_read_returns_only_once_its_record_is_durable()
    {
        await using var vault = await OpenAsync(o => o.Audit.Strict = true, spy: true);
        await vault.Secrets.SetSecretAsync("s", "v");
        var before = Blocks().Count;

        var gate = _spy!.HoldNextCommit();
        var read = Task.Run(() => vault.Secrets.GetSecretAsync("s"));
        await _spy.AtGate.Task;
        read.IsCompleted.Should().BeFalse("its record is not durable yet");
        gate.SetResult();
        (await read).Value.Should().Be("v");
        Blocks().Should().HaveCount(before + 1, "the read's record, without waiting for the window");

        using var client = vault.Keys.GetCryptographyClient((await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k"))).Name);
        var blocks = Blocks().Count;
        client.Sign(SignatureAlgorithm.ES256, new byte[32]);
        Blocks().Should().HaveCount(blocks + 1, "a synchronous sign waits for its record too");
    }

    [Fact]
    public async Task In_strict_mode_concurrent_reads_share_one_commit_for_their_records()
    {
        await using var vault = await OpenAsync(o => o.Audit.Strict = true, spy: true);
        await vault.Secrets.SetSecretAsync("s", "v");
        var gate = _spy!.HoldNextCommit();
        var first = Task.Run(() => vault.Secrets.GetSecretAsync("s"));
        await _spy.AtGate.Task;
        var commits = _spy.Commits;

        // Eight more reads whose records wait behind the held commit: one commit makes them all durable.
        var waiting = vault.Core.Writer.Waiting;
        var others = Enumerable.Range(0, 8).Select(_ => Task.Run(() => vault.Secrets.GetSecretAsync("s"))).ToArray();
        SpinWait.SpinUntil(() => vault.Core.Writer.Waiting == waiting + 8, TimeSpan.FromSeconds(30)).Should().BeTrue("the reads wait for the commit of their records");
        others.Should().OnlyContain(t => !t.IsCompleted);
        gate.SetResult();
        await first;
        await Task.WhenAll(others);

        (_spy.Commits - commits).Should().Be(1, "the eight records share one commit");
        (await vault.GetAuditEventsAsync(new AuditQuery { OperationName = "SecretGet" })).Should().HaveCount(9);
    }

    [Fact]
    public async Task In_strict_mode_a_read_whose_record_cannot_be_made_durable_fails_and_returns_no_value()
    {
        await using var vault = await OpenAsync(o => o.Audit.Strict = true, spy: true);
        await vault.Secrets.SetSecretAsync("s", "v");
        _spy!.FailWrites = new IOException("disk full");

        var failed = await FluentActions.Awaiting(() => vault.Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultException>();
        failed.Which.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
        failed.Which.Message.Should().Contain("audit record");
    }

    [Fact]
    public async Task A_record_carries_the_callers_address_client_and_correlation_id_the_host_gives()
    {
        var accessor = new FixedAccessor();
        await using var vault = await OpenAsync(o => o.CallerAccessor = accessor);
        await vault.Secrets.SetSecretAsync("s", "v");
        using (vault.UseCorrelationId("request-42"))
        {
            await vault.Secrets.GetSecretAsync("s");
        }

        using (var activity = new Activity("test").Start())
        {
            await vault.Secrets.GetSecretAsync("s");
        }

        var events = await vault.GetAuditEventsAsync(new AuditQuery { OperationName = "SecretGet" });
        events.Should().HaveCount(2);
        events[0].CallerIpAddress.Should().Be("203.0.113.7");
        events[0].Properties.ClientInfo.Should().Be("azsdk-net-Security.KeyVault.Secrets/4.12.0 (line?break)", "control characters do not reach the record");
        events[0].CorrelationId.Should().Be("request-42");
        events[1].CorrelationId.Should().MatchRegex("^[0-9a-f]{32}$", "the current activity's trace id comes first");

        FluentActions.Invoking(() => vault.UseCorrelationId("bad\nid")).Should().Throw<VaultException>().Which.Message.Should().Contain("printable ASCII");
    }

    [Fact]
    public async Task Changes_the_vault_makes_while_opening_are_recorded_with_the_application_as_caller()
    {
        await (await OpenAsync(_ => { })).DisposeAsync();
        await using var vault = await OpenAsync(o =>
        {
            o.AnchorPath = _dir.File("vault.anchor");
            o.EnablePurgeProtection = true;
        });

        var events = await vault.GetAuditEventsAsync();
        events.Select(e => e.OperationName).Should().ContainInOrder(AuditTrail.AnchorChange, "VaultEnablePurgeProtection");
        events.Should().OnlyContain(e => e.Identity.ObjectId == VaultPrincipal.Application.ObjectId && e.ResultSignature == "OK");
    }

    [Fact]
    public async Task On_the_real_clock_a_reads_record_is_made_durable_when_the_window_ends()
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key);
        options.StoreFactory = _ => _store;
        options.Audit.Enabled = true;
        options.Audit.MaxFlushDelay = TimeSpan.FromMilliseconds(10);
        await using var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("s", "v");
        var before = _store.Commits;
        var blocks = Blocks().Count;

        await vault.Secrets.GetSecretAsync("s");

        SpinWait.SpinUntil(() => _store.Commits > before, TimeSpan.FromSeconds(30)).Should().BeTrue("the system timer flushes the window");
        await vault.Core.Audit!.Flushing;
        Blocks().Should().HaveCount(blocks + 1);
    }

    public void Dispose() => _dir.Dispose();

    private List<string> Blocks() => [.. _store.Records.Keys.Where(k => k.StartsWith("settings/audit/blocks/", StringComparison.Ordinal))];

    private async Task<AuditVerification> VerifyFreshAsync()
    {
        var before = new Dictionary<string, byte[]>(_store.Records, StringComparer.Ordinal);
        try
        {
            await using var vault = await OpenAsync(o => o.Audit.RetentionDays = 1);
            return await vault.VerifyAuditAsync();
        }
        finally
        {
            _store.Records.Clear();
            foreach (var (key, value) in before)
            {
                _store.Records[key] = value;
            }
        }
    }

    private Task<EmbeddedVault> OpenAsync(Action<EmbeddedVaultOptions> configure, bool spy = false)
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key, _time);
        options.StoreFactory = _ => spy ? _spy = new SpyRecordStore(_store) : _store;
        options.Audit.Enabled = true;
        configure(options);
        return EmbeddedVault.OpenAsync(options);
    }

    private sealed class FixedAccessor : IVaultCallerAccessor
    {
        public VaultPrincipal? GetCaller() => null;

        public string? GetCallerIpAddress() => "203.0.113.7";

        public string? GetClientInfo() => "azsdk-net-Security.KeyVault.Secrets/4.12.0 (line\nbreak)";
    }
}
