using System.Threading.Channels;
using KeyVault.Embedded.AspNetCore.Https;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>
/// The certificate behind <c>UseHttpsFromVault</c>, without Kestrel: which version each handshake takes, when an old
/// version is disposed, the interval check on the vault's clock, and a failed refresh.
/// </summary>
public sealed class VaultServerCertificateTests : VaultTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly Channel<string> _loaded = Channel.CreateUnbounded<string>();
    private readonly Channel<Exception> _failures = Channel.CreateUnbounded<Exception>();
    private VaultServerCertificate? _server;

    public override async Task DisposeAsync()
    {
        _server?.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_version_no_longer_current_is_disposed_when_its_last_connection_releases_it_and_not_before()
    {
        await CreateAsync();
        var server = await StartAsync(Vault.Events);
        var first = server.Acquire(); // a connection's handshake

        var second = await NewVersionAsync(server);

        first.IsDisposed.Should().BeFalse("a connection still holds the first version");
        first.Certificate.HasPrivateKey.Should().BeTrue();
        first.Certificate.Handle.Should().NotBe(IntPtr.Zero);

        var third = await NewVersionAsync(server);

        second.IsDisposed.Should().BeTrue("no connection took the second version once the third replaced it");
        second.Certificate.Handle.Should().Be(IntPtr.Zero);
        first.IsDisposed.Should().BeFalse();
        server.Current.Should().BeSameAs(third);

        first.Release(); // the connection completes

        first.IsDisposed.Should().BeTrue();
        first.Certificate.Handle.Should().Be(IntPtr.Zero);
        third.IsDisposed.Should().BeFalse("it is current");

        server.Dispose();

        third.IsDisposed.Should().BeTrue("stopping releases the current version when no connection holds it");
        FluentActions.Invoking(server.Acquire).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task Each_handshake_takes_the_version_current_at_that_moment()
    {
        var created = await CreateAsync();
        var server = await StartAsync(Vault.Events);

        var before = server.Acquire();
        var next = await NewVersionAsync(server);
        var after = server.Acquire();

        before.Version.Should().Be(created.Properties.Version);
        after.Should().BeSameAs(next);
        after.Version.Should().NotBe(before.Version);
        before.Release();
        after.Release();
    }

    [Fact]
    public async Task Without_an_event_the_interval_on_the_vault_clock_picks_up_a_new_version()
    {
        var created = await CreateAsync();
        var server = await StartAsync(new NoEvents(), TimeSpan.FromMinutes(5));
        var renewed = await CreateAsync();

        server.Current!.Version.Should().Be(created.Properties.Version, "nothing told it yet");
        Time.Advance(TimeSpan.FromMinutes(5));

        (await NextLoadedAsync()).Should().Be(renewed.Properties.Version);
        server.Current!.Version.Should().Be(renewed.Properties.Version);
    }

    [Fact]
    public async Task A_refresh_that_fails_keeps_the_version_served_and_reports_why()
    {
        var created = await CreateAsync();
        var server = await StartAsync(Vault.Events);

        // The new current version is disabled: it cannot be downloaded.
        await Vault.Certificates.StartCreateCertificateAsync("api", Policy(), enabled: false);

        var failure = await _failures.Reader.ReadAsync(new CancellationTokenSource(Bound).Token);
        failure.Should().BeOfType<VaultException>().Which.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        failure.Message.Should().Contain("'api'");
        failure.InnerException.Should().BeAssignableTo<VaultException>().Which.Status.Should().Be(403);
        server.Current!.Version.Should().Be(created.Properties.Version);
        server.Current.IsDisposed.Should().BeFalse();
    }

    private static CertificatePolicy Policy() => new(WellKnownIssuerNames.Self, "CN=localhost", new SubjectAlternativeNames { DnsNames = { "localhost" } })
    {
        KeyType = CertificateKeyType.Ec,
    };

    private async Task<KeyVaultCertificateWithPolicy> CreateAsync()
    {
        await Vault.Certificates.StartCreateCertificateAsync("api", Policy());
        return await Vault.Certificates.GetCertificateAsync("api");
    }

    private async Task<VaultServerCertificate> StartAsync(IObservable<VaultEvent> events, TimeSpan? interval = null)
    {
        var options = new VaultHttpsOptions
        {
            RefreshInterval = interval ?? TimeSpan.FromHours(1),
            OnCertificateLoaded = loaded => _loaded.Writer.TryWrite(loaded.Properties.Version!),
            OnRefreshFailure = error => _failures.Writer.TryWrite(error),
        };
        _server = await VaultServerCertificate.StartAsync(Vault.Certificates, events, "api", options, Time, NullLogger.Instance, CancellationToken.None);
        await NextLoadedAsync(); // the first load
        return _server;
    }

    private async Task<ServedCertificate> NewVersionAsync(VaultServerCertificate server)
    {
        var created = await CreateAsync();
        while (await NextLoadedAsync() != created.Properties.Version)
        {
        }

        return server.Current!;
    }

    private async Task<string> NextLoadedAsync()
    {
        using var timeout = new CancellationTokenSource(Bound);
        return await _loaded.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>A vault that tells nothing: only the interval can find a change.</summary>
    private sealed class NoEvents : IObservable<VaultEvent>
    {
        public IDisposable Subscribe(IObserver<VaultEvent> observer) => new Nothing();

        private sealed class Nothing : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
