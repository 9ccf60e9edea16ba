using System.Collections.Concurrent;
using System.Threading.Channels;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>The hosted service's passes on a fake clock: purge, rotation, renewal, near expiry and expiry, each as an event.</summary>
public sealed class BackgroundServiceTests : HostingTestBase
{
    private readonly Channel<BackgroundPass.Result> _passes = Channel.CreateUnbounded<BackgroundPass.Result>();
    private readonly ConcurrentQueue<VaultEvent> _events = new();

    [Fact]
    public async Task Each_pass_purges_rotates_renews_and_raises_expiry_events_on_the_clock()
    {
        var (_, vault) = await StartAsync();
        (await NextPassAsync()).Purged.Should().Be(0, "the first pass runs at start, on an empty vault");

        await vault.Secrets.SetSecretAsync("old", "v");
        await vault.Secrets.StartDeleteSecretAsync("old");
        var soon = new KeyVaultSecret("soon", "v");
        soon.Properties.ExpiresOn = Start.AddDays(40);
        await vault.Secrets.SetSecretAsync(soon);
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        var rotation = new KeyRotationPolicy { ExpiresIn = "P90D" };
        rotation.LifetimeActions.Add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P30D" });
        await vault.Keys.UpdateKeyRotationPolicyAsync("k", rotation);
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=app") { ValidityInMonths = 3 };
        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 60 });
        await vault.Certificates.StartCreateCertificateAsync("tls", policy);
        using var subscription = vault.Events.Subscribe(new Observer(_events.Enqueue));

        Time.Advance(TimeSpan.FromDays(8));
        var second = await NextPassAsync();
        second.Purged.Should().Be(1, "the deleted secret's 7 days are over");
        second.Rotated.Should().Be(0);
        Taken().Should().ContainSingle().Which.Should().Match<VaultEvent>(e => e.EventType == VaultEventType.Purged && e.Name == "old");

        Time.Advance(TimeSpan.FromDays(23));
        var third = await NextPassAsync();
        third.Should().BeEquivalentTo(new { Purged = 0, Rotated = 1, Renewed = 1, NearExpiry = 1, Expired = 0, Failures = 0 });
        var events = Taken();
        events.Should().Contain(e => e.EventType == VaultEventType.Rotated && e.ObjectKind == VaultObjectKind.Key && e.Name == "k");
        events.Should().Contain(e => e.EventType == VaultEventType.Renewed && e.ObjectKind == VaultObjectKind.Certificate && e.Name == "tls");
        events.Should().Contain(e => e.EventType == VaultEventType.NearExpiry && e.Name == "soon" && e.ExpiresOn == Start.AddDays(40));

        Time.Advance(TimeSpan.FromDays(10));
        (await NextPassAsync()).Expired.Should().Be(1);
        Taken().Should().ContainSingle(e => e.EventType == VaultEventType.Expired).Which.Name.Should().Be("soon");
        Logs.GetSnapshot().Should().Contain(r => r.Id == VaultLogEvents.Expired && r.Level == LogLevel.Warning);
        Logs.GetSnapshot().Count(r => r.Id == VaultLogEvents.BackgroundPass).Should().Be(4);
    }

    [Fact]
    public async Task No_pass_runs_before_its_interval_and_none_when_disabled()
    {
        var (_, _) = await StartAsync();
        (await NextPassAsync()).At.Should().Be(Start);

        Time.Advance(TimeSpan.FromMinutes(59));
        Time.Advance(TimeSpan.FromMinutes(1));
        (await NextPassAsync()).At.Should().Be(Start.AddHours(1), "no pass ran at 59 minutes: the interval is an hour");

        var builder = NewBuilder();
        builder.Services.AddEmbeddedVault(builder.Configuration, o =>
        {
            o.Path = Dir.File("other.db");
            o.Background.Enabled = false;
        });
        var quiet = Track(builder.Build());
        var service = quiet.Services.GetRequiredService<EmbeddedVaultHostedService>();
        await quiet.StartAsync();
        Time.Advance(TimeSpan.FromDays(1));
        await quiet.StopAsync(); // waits for a loop, had one started
        service.Passes.Should().Be(0);
        File.Exists(Dir.File("other.db")).Should().BeTrue("the service still opens the vault at start");
    }

    [Fact]
    public async Task A_failure_is_logged_and_the_rest_of_the_pass_still_runs()
    {
        var (_, vault) = await StartAsync();
        await NextPassAsync();
        var caPolicy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=Root CA") { ValidityInMonths = 60 };
        caPolicy.KeyUsage.Add(CertificateKeyUsage.KeyCertSign);
        var ca = (await vault.Certificates.StartCreateCertificateAsync("root-ca", caPolicy)).Value!;
        await vault.Certificates.CreateIssuerAsync(new CertificateIssuer("root") { CertificateName = "root-ca" });
        await vault.Certificates.StartCreateCertificateAsync("api", new CertificatePolicy("root", "CN=api"));
        ca.Properties.Enabled = false; // the CA cannot sign the renewal
        await vault.Certificates.UpdateCertificatePropertiesAsync(ca.Properties);
        var soon = new KeyVaultSecret("soon", "v");
        soon.Properties.ExpiresOn = Start.AddDays(350);
        await vault.Secrets.SetSecretAsync(soon);

        Time.Advance(TimeSpan.FromDays(330));
        var pass = await NextPassAsync();

        pass.Failures.Should().Be(1);
        pass.Renewed.Should().Be(0);
        pass.NearExpiry.Should().BeGreaterThanOrEqualTo(1, "the expiry step ran after the failed renewal");
        Logs.GetSnapshot().Should().Contain(r => r.Id == VaultLogEvents.BackgroundStepFailed && r.Level == LogLevel.Error && r.Message.Contains("'api'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_audit_retention_each_pass_prunes_the_records_past_it_and_the_chain_still_verifies()
    {
        var (_, vault) = await StartAsync(o =>
        {
            o.Audit.Enabled = true;
            o.Audit.RetentionDays = 7;
        });
        (await NextPassAsync()).AuditPruned.Should().Be(0);
        await vault.Secrets.SetSecretAsync("s", "v");

        Time.Advance(TimeSpan.FromDays(8));
        var pass = await NextPassAsync();

        pass.AuditPruned.Should().BeGreaterThanOrEqualTo(1, "the write's record is 8 days old");
        pass.Failures.Should().Be(0);
        (await vault.VerifyAuditAsync()).IsIntact.Should().BeTrue();
        var events = await vault.GetAuditEventsAsync();
        events.Should().NotContain(e => e.OperationName == "SecretSet");
        events.Should().Contain(e => e.OperationName == "AuditPrune" && e.ResultSignature == "OK");
    }

    private async Task<(IHost Host, EmbeddedVault Vault)> StartAsync(Action<EmbeddedVaultOptions>? configure = null)
    {
        var builder = NewBuilder();
        builder.Services.AddEmbeddedVault(builder.Configuration, o =>
        {
            o.SoftDeleteRetentionDays = 7;
            o.Background.Interval = TimeSpan.FromHours(1);
            configure?.Invoke(o);
        });
        var host = Track(builder.Build());
        var service = host.Services.GetRequiredService<EmbeddedVaultHostedService>();
        service.PassCompleted += result => _passes.Writer.TryWrite(result);
        await host.StartAsync();
        return (host, host.Services.GetRequiredService<EmbeddedVault>());
    }

    private async Task<BackgroundPass.Result> NextPassAsync() => await _passes.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    private List<VaultEvent> Taken()
    {
        var taken = new List<VaultEvent>();
        while (_events.TryDequeue(out var e))
        {
            taken.Add(e);
        }

        return taken;
    }

    private sealed class Observer(Action<VaultEvent> onNext) : IObserver<VaultEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(VaultEvent value) => onNext(value);
    }
}
