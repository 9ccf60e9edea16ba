using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Diagnostics;

/// <summary>Near-expiry and expiry notices: once per version, across restarts, on the vault's (fake) clock.</summary>
public sealed class ExpiryTests : VaultTestBase
{
    private static readonly TimeSpan Window = TimeSpan.FromDays(30);

    [Fact]
    public async Task A_secret_is_reported_near_expiry_once_then_expired_once()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.ExpiresOn = Start.AddDays(40);
        var created = await Secrets.SetSecretAsync(secret);
        var seen = new List<VaultEvent>();
        using var subscription = Vault.Events.Subscribe(new Observer(seen.Add));

        (await Vault.CheckExpiryAsync(Window)).Should().BeEmpty("40 days is outside the 30-day window");

        Time.Advance(TimeSpan.FromDays(10));
        var near = (await Vault.CheckExpiryAsync(Window)).Should().ContainSingle().Subject;
        near.EventType.Should().Be(VaultEventType.NearExpiry);
        near.Version.Should().Be(created.Properties.Version);
        near.ExpiresOn.Should().Be(Start.AddDays(40));
        seen.Should().ContainSingle().Which.Should().BeSameAs(near);

        (await Vault.CheckExpiryAsync(Window)).Should().BeEmpty("each notice once per version");
        await ReopenAsync();
        (await Vault.CheckExpiryAsync(Window)).Should().BeEmpty("remembered across restarts");

        Time.Advance(TimeSpan.FromDays(30));
        (await Vault.CheckExpiryAsync(Window)).Should().ContainSingle().Which.EventType.Should().Be(VaultEventType.Expired);
        (await Vault.CheckExpiryAsync(Window)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_version_whose_expiry_is_moved_is_reported_again_for_the_new_date()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.ExpiresOn = Start.AddDays(10);
        var created = await Secrets.SetSecretAsync(secret);
        (await Vault.CheckExpiryAsync(Window)).Should().ContainSingle();

        created.Properties.ExpiresOn = Start.AddDays(20);
        await Secrets.UpdateSecretPropertiesAsync(created.Properties);

        (await Vault.CheckExpiryAsync(Window)).Should().ContainSingle().Which.ExpiresOn.Should().Be(Start.AddDays(20));
        (await Vault.CheckExpiryAsync(Window)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_new_version_is_reported_in_its_own_time_and_disabled_or_undated_ones_never()
    {
        var secret = new KeyVaultSecret("s", "v");
        secret.Properties.ExpiresOn = Start.AddDays(5);
        await Secrets.SetSecretAsync(secret);
        var disabled = new KeyVaultSecret("off", "v");
        disabled.Properties.ExpiresOn = Start.AddDays(1);
        disabled.Properties.Enabled = false;
        await Secrets.SetSecretAsync(disabled);
        await Secrets.SetSecretAsync("forever", "v");
        (await Vault.CheckExpiryAsync(Window)).Select(e => e.Name).Should().Equal("s");

        var next = new KeyVaultSecret("s", "v2");
        next.Properties.ExpiresOn = Start.AddDays(20);
        var second = await Secrets.SetSecretAsync(next);

        (await Vault.CheckExpiryAsync(Window)).Should().ContainSingle().Which.Version.Should().Be(second.Properties.Version);
    }

    [Fact]
    public async Task Keys_and_certificates_are_reported_but_not_a_certificates_managed_key_and_secret()
    {
        await Vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("k") { ExpiresOn = Start.AddDays(10) });
        await Vault.Certificates.StartCreateCertificateAsync("c", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=c") { ValidityInMonths = 1 });
        Time.Advance(TimeSpan.FromDays(5));

        var notices = await Vault.CheckExpiryAsync(Window);

        notices.Select(e => (e.ObjectKind, e.Name)).Should().BeEquivalentTo([(VaultObjectKind.Key, "k"), (VaultObjectKind.Certificate, "c")]);
    }

    [Fact]
    public async Task A_negative_window_is_refused()
    {
        await FluentActions.Awaiting(() => Vault.CheckExpiryAsync(TimeSpan.FromDays(-1))).Should().ThrowAsync<VaultException>()
            .Where(e => e.ErrorCode == VaultErrorCode.BadParameter);
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
