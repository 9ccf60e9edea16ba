using System.Diagnostics;
using System.Diagnostics.Metrics;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeyVault.Embedded.Tests.Diagnostics;

/// <summary>Logs with stable event ids and no secrets, metrics by operation, one activity per operation.</summary>
public sealed class TelemetryTests : VaultTestBase
{
    private const string SecretValue = "s3cr3t-V4lue-that-must-never-be-logged";
    private readonly FakeLogCollector _logs = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _services.DisposeAsync();
    }

    protected override void Configure(EmbeddedVaultOptions options)
    {
        options.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace));
        options.MeterFactory = _services.GetRequiredService<IMeterFactory>();
    }

    [Fact]
    public async Task Operations_and_failures_are_logged_with_stable_event_ids()
    {
        await Secrets.SetSecretAsync("db", SecretValue);
        await Secrets.GetSecretAsync("db");
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("missing")).Should().ThrowAsync<VaultObjectNotFoundException>();
        await FluentActions.Awaiting(() => Secrets.SetSecretAsync("bad_name", SecretValue)).Should().ThrowAsync<VaultException>();
        await Vault.PurgeDueDeletedObjectsAsync();

        var records = _logs.GetSnapshot();
        records.Should().Contain(r => r.Id == VaultLogEvents.VaultOpened && r.Level == LogLevel.Information);
        records.Should().Contain(r => r.Id == VaultLogEvents.SecretOperation && r.Message.Contains("SecretSet") && r.Message.Contains("'db'"));
        records.Should().Contain(r => r.Id == VaultLogEvents.KeyOperation && r.Message.Contains("KeyCreate"));
        records.Should().Contain(r => r.Id == VaultLogEvents.NotFound && r.Level == LogLevel.Debug && r.Message.Contains("SecretNotFound"));
        records.Should().Contain(r => r.Id == VaultLogEvents.BadParameter && r.Level == LogLevel.Warning && r.Message.Contains("BadParameter"));
        records.Should().Contain(r => r.Id == VaultLogEvents.VaultOperation && r.Message.Contains("VaultPurgeDue"));
        records.Should().Contain(r => r.Category == "KeyVault.Embedded");
    }

    [Fact]
    public async Task No_log_entry_carries_a_secret_value_or_key_material()
    {
        var secret = await Secrets.SetSecretAsync("db", SecretValue);
        await Secrets.GetSecretAsync("db");
        secret.Properties.ContentType = new string('x', 300);
        await FluentActions.Awaiting(() => Secrets.UpdateSecretPropertiesAsync(secret.Properties)).Should().ThrowAsync<VaultException>();
        await FluentActions.Awaiting(() => Secrets.SetSecretAsync("db", new string('v', 30_000))).Should().ThrowAsync<VaultException>();
        using var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var privateKey = ecdsa.ExportParameters(true).D!;
        var key = await Vault.Keys.ImportKeyAsync("imported", new JsonWebKey(ecdsa, includePrivateParameters: true));
        using var crypto = Vault.Keys.GetCryptographyClient("imported");
        await crypto.SignDataAsync(SignatureAlgorithm.ES256, "data"u8.ToArray());
        await Vault.DisposeAsync();
        await ReopenAsync();

        var text = string.Join("\n", _logs.GetSnapshot().Select(r => r.Message + " " + r.Exception + " " + string.Join(",", r.StructuredState?.Select(s => s.Value) ?? [])));
        text.Should().NotContain(SecretValue).And.NotContain(new string('v', 100));
        key.Key.X.Should().NotBeNull();
        text.Should().NotContain(Convert.ToBase64String(privateKey)).And.NotContain(Convert.ToHexString(privateKey));
        _logs.GetSnapshot().Count.Should().BeGreaterThan(5, "the operations above were logged");
    }

    [Fact]
    public async Task The_meter_counts_operations_and_times_them_by_outcome()
    {
        var meterFactory = _services.GetRequiredService<IMeterFactory>();
        using var operations = new MetricCollector<long>(meterFactory, EmbeddedVaultDiagnostics.MeterName, EmbeddedVaultDiagnostics.OperationsInstrument);
        using var durations = new MetricCollector<double>(meterFactory, EmbeddedVaultDiagnostics.MeterName, EmbeddedVaultDiagnostics.DurationInstrument);

        await Secrets.SetSecretAsync("a", "v");
        await Secrets.GetSecretAsync("a");
        await Secrets.GetSecretAsync("a");
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("missing")).Should().ThrowAsync<VaultObjectNotFoundException>();

        var measurements = operations.GetMeasurementSnapshot();
        measurements.Where(m => (string?)m.Tags["keyvault.operation"] == "SecretGet" && (string?)m.Tags["keyvault.outcome"] == "success").Sum(m => m.Value).Should().Be(2);
        measurements.Should().ContainSingle(m => (string?)m.Tags["keyvault.outcome"] == "failure")
            .Which.Tags["error.type"].Should().Be("SecretNotFound");
        durations.GetMeasurementSnapshot().Should().HaveCount(4).And.OnlyContain(m => m.Value >= 0 && m.Value < 10);
    }

    [Fact]
    public async Task Each_operation_is_one_activity_named_after_it()
    {
        // Process-wide: other tests' vaults run in parallel, so collect concurrently and keep only this test's.
        var activities = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EmbeddedVaultDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await Secrets.SetSecretAsync("traced", "v");
        await FluentActions.Awaiting(() => Secrets.GetSecretAsync("nope")).Should().ThrowAsync<VaultObjectNotFoundException>();

        var mine = activities.Where(a => (string?)a.GetTagItem("keyvault.object_name") is "traced" or "nope").ToList();
        mine.Select(a => a.OperationName).Should().Equal("SecretSet", "SecretGet");
        mine[0].Status.Should().Be(ActivityStatusCode.Ok);
        mine[1].Status.Should().Be(ActivityStatusCode.Error);
        mine[1].GetTagItem("error.type").Should().Be("SecretNotFound");
    }
}
