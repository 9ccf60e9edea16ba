using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Audit;

/// <summary>The audit trail: one record per operation, durable with writes and within the window for reads, verifiable.</summary>
public sealed class AuditTrailTests : IDisposable
{
    private static readonly VaultPrincipal Admin = new("admin-oid", "Ada Admin");
    private static readonly VaultPrincipal Web = new("web-oid", "web request", VaultPrincipalKind.Application);
    private readonly TempDirectory _dir = new();
    private readonly InMemoryRecordStore _store = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly byte[] _key = TestVaults.NewKey();

    [Fact]
    public async Task Every_operation_allowed_refused_or_failed_leaves_exactly_one_record_with_its_fields()
    {
        await using var vault = await OpenAsync();
        await vault.Secrets.SetSecretAsync("db", "p@ss-w0rd-value");
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing"));
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        await vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("db"), KeyVaultRoles.SecretsUser.Id, Web.ObjectId);
        using (vault.RunAs(Admin))
        {
            await vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }

        using (vault.RunAs(Web))
        {
            (await vault.Secrets.GetSecretAsync("db")).Value.Should().Be("p@ss-w0rd-value");
            await FluentActions.Awaiting(() => vault.Keys.GetKeyAsync("signing")).Should().ThrowAsync<VaultException>();
        }

        using (vault.RunAs(Admin))
        {
            await FluentActions.Awaiting(() => vault.Secrets.GetSecretAsync("missing")).Should().ThrowAsync<VaultObjectNotFoundException>();
            using var client = vault.Keys.GetCryptographyClient("signing");
            client.Sign(SignatureAlgorithm.ES256, new byte[32]);
        }

        List<VaultAuditEvent> events;
        using (vault.RunAs(Admin))
        {
            events = [.. await vault.GetAuditEventsAsync()];
        }

        events.Select(e => e.OperationName).Should().Equal(
            "SecretSet", "KeyCreate", "AccessWrite", "AccessWrite", "AccessWrite", "SecretGet", "KeyGet", "SecretGet", "KeySign");
        var get = events[5];
        get.ResultType.Should().Be("Success");
        get.ResultSignature.Should().Be("OK");
        get.Properties.HttpStatusCode.Should().Be(200);
        get.Identity.ObjectId.Should().Be("web-oid");
        get.Identity.Kind.Should().Be("Application");
        get.Properties.Id.Should().Be($"{vault.Properties.VaultUri}secrets/db");
        get.Properties.IsRbacAuthorized.Should().BeTrue();
        get.Category.Should().Be("AuditEvent");
        get.Time.Should().Be(_time.GetUtcNow());

        var refused = events[6];
        refused.ResultType.Should().Be("Failure");
        refused.ResultSignature.Should().Be("Forbidden");
        refused.Properties.HttpStatusCode.Should().Be(403);
        refused.ResultDescription.Should().Contain("ForbiddenByRbac").And.Contain("web-oid");

        events[7].ResultSignature.Should().Be("NotFound");
        events[8].Properties.Id.Should().Be($"{vault.Properties.VaultUri}keys/signing");
        events[0].Properties.IsRbacAuthorized.Should().BeNull("access control was off");
        events[0].Identity.ObjectId.Should().Be(VaultPrincipal.Application.ObjectId);

        // No value, in any record, anywhere in the store.
        foreach (var bytes in _store.Received)
        {
            Encoding.UTF8.GetString(bytes).Should().NotContain("p@ss-w0rd-value");
        }

        (await VerifyAsAdmin(vault)).Should().Be(new AuditVerification(10, null, null), "the query's own record was waiting, and is made durable first (the verify's own follows it)");
    }

    [Fact]
    public async Task A_writes_record_is_durable_with_the_write_and_reads_wait_at_most_the_window()
    {
        var vault = await OpenAsync();
        await vault.Secrets.SetSecretAsync("s", "v");
        AuditBlocks().Should().HaveCount(1, "the write's record committed with the write");
        Events(AuditBlocks()[0]).Should().Equal("SecretSet");

        await vault.Secrets.GetSecretAsync("s");
        await vault.Secrets.GetSecretAsync("s");
        AuditBlocks().Should().HaveCount(1, "reads wait for their window");

        _time.Advance(TimeSpan.FromSeconds(1));
        await vault.Core.Audit!.Flushing;
        AuditBlocks().Should().HaveCount(2);
        Events(AuditBlocks()[1]).Should().Equal(["SecretGet", "SecretGet"], "one commit made both reads durable");

        await vault.Secrets.GetSecretAsync("s");
        await vault.Secrets.SetSecretAsync("t", "v");
        AuditBlocks().Should().HaveCount(3);
        Events(AuditBlocks()[2]).Should().Equal(["SecretGet", "SecretSet"], "a write takes the waiting records along");

        await vault.Secrets.GetSecretAsync("s");
        await vault.DisposeAsync();
        AuditBlocks().Should().HaveCount(4, "closing the vault makes the waiting records durable");

        await using var reopened = await OpenAsync();
        var events = await reopened.GetAuditEventsAsync(new AuditQuery { OperationName = "SecretSet" });
        events.Select(e => e.Properties.Id).Should().Equal($"{reopened.Properties.VaultUri}secrets/s", $"{reopened.Properties.VaultUri}secrets/t");
    }

    [Fact]
    public async Task A_record_edited_removed_or_moved_in_the_store_is_named_by_verify()
    {
        await using (var vault = await OpenAsync())
        {
            for (var i = 0; i < 4; i++)
            {
                await vault.Secrets.SetSecretAsync($"s{i}", "v");
            }
        }

        var records = AuditBlocks(); // one block per write here
        var second = records[1];
        var original = _store.Records[second];
        var edited = Encoding.UTF8.GetString(original).Replace("SecretSet", "SecretGet", StringComparison.Ordinal);
        _store.Records[second] = Encoding.UTF8.GetBytes(edited);
        (await VerifyFreshAsync()).FirstBadSequence.Should().Be(2, "an edited record");
        (await VerifyFreshAsync()).Problem.Should().Contain("authentication", "the manifest catches the edit");

        _store.Records[second] = original;
        (await VerifyFreshAsync()).IsIntact.Should().BeTrue();

        _store.Records[second] = _store.Records[records[2]]; // the third record's bytes in the second's place
        (await VerifyFreshAsync()).FirstBadSequence.Should().Be(2, "a moved record");

        _store.Records[second] = original;
        _store.Records.Remove(records[3]);
        (await VerifyFreshAsync()).FirstBadSequence.Should().Be(4, "a removed record");
    }

    [Fact]
    public async Task The_trail_exports_as_json_lines_in_azures_audit_event_shape()
    {
        await using var vault = await OpenAsync();
        await vault.Secrets.SetSecretAsync("s", "v");
        using var output = new MemoryStream();

        var written = await vault.ExportAuditAsync(output, new AuditQuery { OperationName = "SecretSet" });

        written.Should().Be(1);
        var line = Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n');
        line.Should().NotContain("\n");
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        root.GetProperty("operationName").GetString().Should().Be("SecretSet");
        root.GetProperty("category").GetString().Should().Be("AuditEvent");
        root.GetProperty("resultSignature").GetString().Should().Be("OK");
        root.GetProperty("identity").GetProperty("oid").GetString().Should().Be(VaultPrincipal.Application.ObjectId);
        root.GetProperty("properties").GetProperty("httpStatusCode").GetInt32().Should().Be(200);
    }

    [Fact]
    public async Task With_auditing_off_nothing_is_recorded_and_asking_for_the_trail_says_so()
    {
        await using var vault = await EmbeddedVault.OpenAsync(Options(audit: false));
        await vault.Secrets.SetSecretAsync("s", "v");

        AuditBlocks().Should().BeEmpty();
        (await FluentActions.Awaiting(() => vault.VerifyAuditAsync()).Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("Audit.Enabled");
    }

    public void Dispose() => _dir.Dispose();

    private async Task<AuditVerification> VerifyAsAdmin(EmbeddedVault vault)
    {
        using (vault.RunAs(Admin))
        {
            return await vault.VerifyAuditAsync();
        }
    }

    /// <summary>Verifies in a vault opened on the store as the test left it, then puts the store back (verifying is audited too).</summary>
    private async Task<AuditVerification> VerifyFreshAsync()
    {
        var before = new Dictionary<string, byte[]>(_store.Records, StringComparer.Ordinal);
        try
        {
            await using var vault = await OpenAsync();
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

    private List<string> AuditBlocks() => [.. _store.Records.Keys.Where(k => k.StartsWith("settings/audit/blocks/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <summary>The operation names in a stored block, read as an attacker with the file would.</summary>
    private List<string> Events(string block)
    {
        using var json = JsonDocument.Parse(_store.Records[block].AsMemory(2));
        return [.. json.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("operationName").GetString()!)];
    }

    private Task<EmbeddedVault> OpenAsync() => EmbeddedVault.OpenAsync(Options(audit: true));

    private EmbeddedVaultOptions Options(bool audit)
    {
        var options = TestVaults.Options(_dir.File("vault.db"), _key, _time);
        options.StoreFactory = _ => _store;
        options.Audit.Enabled = audit;
        return options;
    }
}
