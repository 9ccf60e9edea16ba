using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KeyVault.Embedded.Tests.Diagnostics;

public sealed class EventTests : VaultTestBase
{
    private readonly FakeLogCollector _logs = new();
    private readonly Recorder _events = new();
    private IDisposable _subscription = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _subscription = Vault.Events.Subscribe(_events);
    }

    public override Task DisposeAsync()
    {
        _subscription.Dispose();
        return base.DisposeAsync();
    }

    [Fact]
    public async Task Each_change_raises_its_event_after_it_is_written()
    {
        var created = await Secrets.SetSecretAsync("s", "value");
        created.Properties.Enabled = false;
        await Secrets.UpdateSecretPropertiesAsync(created.Properties);
        await Secrets.StartDeleteSecretAsync("s");
        await Secrets.StartRecoverDeletedSecretAsync("s");
        await Secrets.StartDeleteSecretAsync("s");
        await Secrets.PurgeDeletedSecretAsync("s");

        _events.Seen.Select(e => (e.EventType, e.ObjectKind, e.Name)).Should().Equal(
            (VaultEventType.NewVersion, VaultObjectKind.Secret, "s"),
            (VaultEventType.PropertiesUpdated, VaultObjectKind.Secret, "s"),
            (VaultEventType.Deleted, VaultObjectKind.Secret, "s"),
            (VaultEventType.Recovered, VaultObjectKind.Secret, "s"),
            (VaultEventType.Deleted, VaultObjectKind.Secret, "s"),
            (VaultEventType.Purged, VaultObjectKind.Secret, "s"));
        var first = _events.Seen[0];
        first.Version.Should().Be(created.Properties.Version);
        first.Id.Should().Be(created.Id);
        first.Time.Should().Be(Start);
        first.AzureEventType.Should().Be("Microsoft.KeyVault.SecretNewVersionCreated");
        first.ToString().Should().NotContain("value");
    }

    [Fact]
    public async Task A_rotation_raises_a_new_version_and_a_rotation()
    {
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        _events.Seen.Clear();

        var rotated = await Vault.Keys.RotateKeyAsync("k");

        _events.Seen.Select(e => e.EventType).Should().Equal(VaultEventType.NewVersion, VaultEventType.Rotated);
        _events.Seen.Should().OnlyContain(e => e.Version == rotated.Properties.Version && e.ObjectKind == VaultObjectKind.Key);
    }

    [Fact]
    public async Task A_certificate_raises_events_for_itself_and_its_managed_key_and_secret()
    {
        var operation = await Vault.Certificates.StartCreateCertificateAsync("c", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=c"));

        _events.Seen.Select(e => (e.EventType, e.ObjectKind)).Should().BeEquivalentTo(
            [(VaultEventType.NewVersion, VaultObjectKind.Certificate), (VaultEventType.NewVersion, VaultObjectKind.Key), (VaultEventType.NewVersion, VaultObjectKind.Secret)]);
        _events.Seen.Should().OnlyContain(e => e.Version == operation.Value!.Properties.Version);

        _events.Seen.Clear();
        await Vault.Certificates.StartDeleteCertificateAsync("c");
        _events.Seen.Select(e => e.ObjectKind).Should().BeEquivalentTo([VaultObjectKind.Certificate, VaultObjectKind.Key, VaultObjectKind.Secret]);
        _events.Seen.Should().OnlyContain(e => e.EventType == VaultEventType.Deleted);
    }

    [Fact]
    public async Task Purge_at_the_end_of_retention_raises_purged()
    {
        await Secrets.SetSecretAsync("old", "v");
        await Secrets.StartDeleteSecretAsync("old");
        _events.Seen.Clear();

        Time.Advance(TimeSpan.FromDays(90));
        await Vault.PurgeDueDeletedObjectsAsync();

        _events.Seen.Should().ContainSingle().Which.EventType.Should().Be(VaultEventType.Purged);
    }

    [Fact]
    public async Task Refused_calls_raise_nothing()
    {
        await FluentActions.Awaiting(() => Secrets.SetSecretAsync("bad_name", "v")).Should().ThrowAsync<VaultException>();
        await FluentActions.Awaiting(() => Secrets.StartDeleteSecretAsync("missing")).Should().ThrowAsync<VaultObjectNotFoundException>();

        _events.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task A_throwing_observer_is_logged_and_changes_nothing_for_the_write_or_the_others()
    {
        await ReopenAsync(o => o.LoggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace)));
        var after = new Recorder();
        using var thrower = Vault.Events.Subscribe(new Recorder { Throw = true });
        using var second = Vault.Events.Subscribe(after);

        await Secrets.SetSecretAsync("s", "value");

        (await Secrets.GetSecretAsync("s")).Value.Should().Be("value");
        after.Seen.Should().ContainSingle();
        _logs.GetSnapshot().Should().Contain(r => r.Id == VaultLogEvents.ObserverFailed && r.Level == LogLevel.Error);
    }

    [Fact]
    public async Task A_disposed_subscription_hears_nothing_and_closing_completes_the_stream()
    {
        _subscription.Dispose();
        var other = new Recorder();
        Vault.Events.Subscribe(other);

        await Secrets.SetSecretAsync("s", "v");
        await Vault.DisposeAsync();

        _events.Seen.Should().BeEmpty();
        other.Seen.Should().ContainSingle();
        other.Completed.Should().BeTrue();
        await ReopenAsync();
    }

    private sealed class Recorder : IObserver<VaultEvent>
    {
        public List<VaultEvent> Seen { get; } = [];

        public bool Throw { get; init; }

        public bool Completed { get; private set; }

        public void OnCompleted() => Completed = true;

        public void OnError(Exception error)
        {
        }

        public void OnNext(VaultEvent value)
        {
            if (Throw)
            {
                throw new InvalidOperationException("observer failure");
            }

            Seen.Add(value);
        }
    }
}
