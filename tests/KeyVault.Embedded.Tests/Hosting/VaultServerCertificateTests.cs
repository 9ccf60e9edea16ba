using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore.Https;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Hosting;

/// <summary>
/// The certificate behind <c>UseHttpsFromVault</c>, without Kestrel: which version each handshake takes, when an old
/// version is disposed, the interval check on the vault's clock, a failed refresh, whose flow a refresh runs in, dates,
/// a served version the vault no longer allows, and the vault closing during the start.
/// </summary>
public sealed class VaultServerCertificateTests : VaultTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly VaultPrincipal Admin = new("admin-oid", "Ada Admin");
    private static readonly VaultPrincipal CertificateWriter = new("writer-oid", "certificate writer", VaultPrincipalKind.Application);
    private readonly FakeLogCollector _logs = new();
    private readonly LogChannel _callbackFailures = new(3303);
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

        var failure = await NextFailureAsync();
        failure.Should().BeOfType<VaultException>().Which.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        failure.Message.Should().Contain("'api'");
        failure.InnerException.Should().BeAssignableTo<VaultException>().Which.Status.Should().Be(403);
        server.Current!.Version.Should().Be(created.Properties.Version);
        server.Current.IsDisposed.Should().BeFalse();
    }

    [Fact]
    public async Task A_new_version_created_by_a_principal_who_may_not_read_its_key_is_loaded_as_the_application_not_as_that_principal()
    {
        var created = await CreateAsync();
        await EnableRbacAsync();
        using (Vault.RunAs(Admin))
        {
            // The server runs as the application: it may read certificates and their private keys.
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.CertificateUser.Id, VaultPrincipal.Application.ObjectId);

            // The writer may create certificates, not read their keys (no secrets/getSecret).
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.CertificatesOfficer.Id, CertificateWriter.ObjectId);
        }

        var server = await StartAsync(Vault.Events);
        KeyVaultCertificateWithPolicy renewed;
        using (Vault.RunAs(CertificateWriter))
        {
            await Vault.Certificates.StartCreateCertificateAsync("api", Policy());
            renewed = await Vault.Certificates.GetCertificateAsync("api");
            (await FluentActions.Awaiting(() => Vault.Certificates.DownloadCertificateAsync("api")).Should().ThrowAsync<VaultException>()).Which.Status.Should().Be(403, "the writer may not read the key");
        }

        // Its event ran inside the writer's call: the refresh it started must not have run as the writer (a 403).
        (await NextLoadedAsync()).Should().Be(renewed.Properties.Version);
        server.Current!.Version.Should().Be(renewed.Properties.Version).And.NotBe(created.Properties.Version);
        _failures.Reader.TryRead(out var failure).Should().BeFalse($"the refresh runs as the application ({failure?.Message})");
    }

    [Fact]
    public async Task The_interval_check_runs_as_the_application_not_as_whoever_was_the_caller_when_the_endpoint_started()
    {
        var created = await CreateAsync();
        await EnableRbacAsync();
        var binder = new VaultPrincipal("binder-oid", "code that bound the endpoint");
        VaultRoleAssignment binderRole;
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.CertificateUser.Id, VaultPrincipal.Application.ObjectId);
            binderRole = await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.CertificateUser.Id, binder.ObjectId);
        }

        // A timer that runs its callback in the execution context it was created in, as System.Threading.Timer does.
        var time = new FlowCapturingTime(Time);
        using (Vault.RunAs(binder))
        {
            await StartAsync(new NoEvents(), TimeSpan.FromMinutes(5), time);
        }

        KeyVaultCertificateWithPolicy renewed;
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.DeleteRoleAssignmentAsync(binderRole.Scope, binderRole.Name);
            await Vault.Certificates.StartCreateCertificateAsync("api", Policy());
            renewed = await Vault.Certificates.GetCertificateAsync("api");
        }

        Time.Advance(TimeSpan.FromMinutes(5));

        (await NextLoadedAsync()).Should().Be(renewed.Properties.Version, "the tick ran as the application, which may read the key");
        _server!.Current!.Version.Should().NotBe(created.Properties.Version);
    }

    [Fact]
    public async Task The_vault_closing_during_the_first_load_fails_the_start_with_a_typed_error_and_leaves_no_timer()
    {
        await CreateAsync();
        var events = new RecordingEvents();
        var certificates = CertificatesProxy.Around(Vault.Certificates, beforeGet: () => events.Observer!.OnCompleted());
        var time = new FlowCapturingTime(Time);
        var options = new VaultHttpsOptions { OnRefreshFailure = error => _failures.Writer.TryWrite(error) };

        var start = () => VaultServerCertificate.StartAsync(certificates, events, "api", options, time, Logger(), CancellationToken.None);

        var error = (await start.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        error.Status.Should().Be(503);
        error.Message.Should().Contain("'api'").And.Contain("closed");
        error.InnerException.Should().BeOfType<ObjectDisposedException>();
        time.LiveTimers.Should().Be(0, "no timer was made after the stop, so none is left running");
    }

    [Fact]
    public async Task A_version_not_yet_valid_by_the_vault_clock_stops_the_start()
    {
        await ImportAsync(notBefore: Start.AddDays(1));

        var start = () => StartAsync(Vault.Events);

        var error = (await start.Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        error.Status.Should().Be(400);
        error.Message.Should().Contain("'api'").And.Contain("not valid before");
    }

    [Fact]
    public async Task A_new_version_not_yet_valid_is_not_served_until_the_vault_clock_reaches_its_start()
    {
        var created = await CreateAsync();
        var server = await StartAsync(Vault.Events, TimeSpan.FromHours(1));

        var future = await ImportAsync(notBefore: Start.AddHours(2));

        var failure = await NextFailureAsync();
        failure.Should().BeOfType<VaultException>().Which.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        failure.Message.Should().Contain("not valid before").And.Contain(created.Properties.Version).And.Contain("stays in use");
        server.Current!.Version.Should().Be(created.Properties.Version);

        Time.Advance(TimeSpan.FromHours(2));

        (await NextLoadedAsync()).Should().Be(future.Properties.Version, "the interval check after its NotBefore serves it");
    }

    [Fact]
    public async Task Disabling_the_version_served_is_reported_and_that_version_stays_in_use()
    {
        var created = await CreateAsync();
        var server = await StartAsync(Vault.Events);

        var properties = created.Properties;
        properties.Enabled = false;
        await Vault.Certificates.UpdateCertificatePropertiesAsync(properties);

        var failure = await NextFailureAsync();
        failure.Should().BeOfType<VaultException>().Which.ErrorCode.Should().Be(VaultHttpsErrorCodes.CertificateUnavailable);
        failure.Message.Should().Contain("'api'").And.Contain($"version served ({created.Properties.Version}) is disabled").And.Contain("stays in use");
        _logs.GetSnapshot().Should().Contain(r => r.Id.Id == 3302 && r.Level == LogLevel.Warning && r.Message.Contains(created.Properties.Version!));
        server.Current!.Version.Should().Be(created.Properties.Version, "a served version is not revoked (a documented limit)");
        server.Current.IsDisposed.Should().BeFalse();
    }

    [Fact]
    public async Task Deleting_the_certificate_served_is_reported_and_its_version_stays_in_use()
    {
        var created = await CreateAsync();
        var server = await StartAsync(Vault.Events);

        await Vault.Certificates.StartDeleteCertificateAsync("api");

        var failure = await NextFailureAsync();
        failure.Should().BeOfType<VaultException>().Which.Status.Should().Be(404);
        failure.Message.Should().Contain("not in the vault").And.Contain($"version served ({created.Properties.Version}) stays in use");
        server.Current!.Version.Should().Be(created.Properties.Version);
    }

    [Fact]
    public async Task The_version_served_expiring_on_the_vault_clock_is_reported_at_the_next_check()
    {
        await Vault.Certificates.StartCreateCertificateAsync("api", new CertificatePolicy(WellKnownIssuerNames.Self, "CN=localhost") { KeyType = CertificateKeyType.Ec, ValidityInMonths = 1 });
        var created = await Vault.Certificates.GetCertificateAsync("api");
        var server = await StartAsync(new NoEvents(), TimeSpan.FromDays(1));

        Time.Advance(TimeSpan.FromDays(40));

        var failure = await NextFailureAsync();
        failure.Message.Should().Contain($"version {created.Properties.Version} expired").And.Contain("stays in use");
        server.Current!.Version.Should().Be(created.Properties.Version);
    }

    [Fact]
    public async Task A_throwing_OnCertificateLoaded_is_logged_as_a_callback_failure_and_the_new_version_is_served()
    {
        await CreateAsync();
        var options = new VaultHttpsOptions
        {
            RefreshInterval = TimeSpan.FromHours(1),
            OnCertificateLoaded = loaded =>
            {
                _loaded.Writer.TryWrite(loaded.Properties.Version!);
                throw new InvalidOperationException("the application's callback failed");
            },
            OnRefreshFailure = error => _failures.Writer.TryWrite(error),
        };
        _server = await VaultServerCertificate.StartAsync(Vault.Certificates, Vault.Events, "api", options, Time, Logger(), CancellationToken.None);
        await NextLoadedAsync();
        await _callbackFailures.WaitForAsync("OnCertificateLoaded threw", Bound);

        var renewed = await CreateAsync();
        (await NextLoadedAsync()).Should().Be(renewed.Properties.Version);
        await _callbackFailures.WaitForAsync(renewed.Properties.Version!, Bound);

        _server.Current!.Version.Should().Be(renewed.Properties.Version);
        _failures.Reader.TryRead(out _).Should().BeFalse("the load did not fail");
        _logs.GetSnapshot().Should().NotContain(r => r.Id.Id == 3302);
    }

    private async Task EnableRbacAsync()
    {
        await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }
    }

    /// <summary>Imports a self-signed localhost version (exportable key) valid from <paramref name="notBefore"/> for a year.</summary>
    private async Task<KeyVaultCertificateWithPolicy> ImportAsync(DateTimeOffset notBefore)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(notBefore, notBefore.AddYears(1));
        await Vault.Certificates.ImportCertificateAsync(new ImportCertificateOptions("api", certificate.Export(X509ContentType.Pkcs12)));
        return await Vault.Certificates.GetCertificateAsync("api");
    }

    private ILogger Logger() =>
        LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(_logs)).AddProvider(_callbackFailures)).CreateLogger("KeyVault.Embedded");

    private async Task<Exception> NextFailureAsync()
    {
        using var timeout = new CancellationTokenSource(Bound);
        return await _failures.Reader.ReadAsync(timeout.Token);
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

    private async Task<VaultServerCertificate> StartAsync(IObservable<VaultEvent> events, TimeSpan? interval = null, TimeProvider? time = null)
    {
        var options = new VaultHttpsOptions
        {
            RefreshInterval = interval ?? TimeSpan.FromHours(1),
            OnCertificateLoaded = loaded => _loaded.Writer.TryWrite(loaded.Properties.Version!),
            OnRefreshFailure = error => _failures.Writer.TryWrite(error),
        };
        _server = await VaultServerCertificate.StartAsync(Vault.Certificates, events, "api", options, time ?? Time, Logger(), CancellationToken.None);
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

    /// <summary>Remembers its observer, so a test can complete it (the vault closing) at a moment of its choosing.</summary>
    private sealed class RecordingEvents : IObservable<VaultEvent>
    {
        public IObserver<VaultEvent>? Observer { get; private set; }

        public IDisposable Subscribe(IObserver<VaultEvent> observer)
        {
            Observer = observer;
            return new NoEvents().Subscribe(observer);
        }
    }

    /// <summary>
    /// The fake clock's timers, but each callback runs in the execution context captured when the timer was made (none
    /// when the maker suppressed flow), as <see cref="System.Threading.Timer"/> does; counts the timers not disposed.
    /// </summary>
    private sealed class FlowCapturingTime(FakeTimeProvider fake) : TimeProvider
    {
        private int _live;

        public int LiveTimers => Volatile.Read(ref _live);

        public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var context = ExecutionContext.Capture();
            Interlocked.Increment(ref _live);
            var timer = fake.CreateTimer(
                s =>
                {
                    if (context is null)
                    {
                        callback(s);
                    }
                    else
                    {
                        ExecutionContext.Run(context, c => callback(c), s);
                    }
                },
                state,
                dueTime,
                period);
            return new Counted(timer, this);
        }

        private sealed class Counted(ITimer inner, FlowCapturingTime owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}

/// <summary>The vault's certificate store with a hook run before each <c>GetCertificateAsync</c>.</summary>
internal class CertificatesProxy : DispatchProxy
{
    private ICertificateStore _target = null!;
    private Action _beforeGet = null!;

    public static ICertificateStore Around(ICertificateStore target, Action beforeGet)
    {
        var proxy = Create<ICertificateStore, CertificatesProxy>();
        var self = (CertificatesProxy)(object)proxy;
        self._target = target;
        self._beforeGet = beforeGet;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(ICertificateStore.GetCertificateAsync))
        {
            _beforeGet();
        }

        try
        {
            return targetMethod.Invoke(_target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
