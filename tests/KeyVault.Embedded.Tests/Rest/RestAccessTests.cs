using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.AspNetCore.Rest;
using Microsoft.Extensions.Time.Testing;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// Who may call over HTTP: access control and audit with the token's principal and the caller's address, Azure's
/// firewall (an allowed and a refused address on one machine: 127.0.0.1 and 127.0.0.2), throttling on the vault's clock,
/// a vault without access control, plain HTTP refused, a Unix socket let through.
/// </summary>
public sealed class RestAccessTests : IAsyncDisposable
{
    private const string Version = "?api-version=7.6";
    private RestServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_token_without_the_role_gets_403_and_an_audit_record_with_its_principal_and_address()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("reader-only", KeyVaultRoles.SecretsUser, KeyVaultRoleScope.Secret("allowed"));
        using var client = _server.Http(_server.Token("reader-only"));
        client.DefaultRequestHeaders.UserAgent.ParseAdd("rest-access-test/1.0");

        using var refused = await client.PutAsJsonAsync("secrets/allowed" + Version, new { value = "v" });
        using var read = await client.GetAsync("secrets/elsewhere" + Version);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var error = await RestProtocolTests.ErrorAsync(refused);
        error.Code.Should().Be("Forbidden");
        error.Inner.Should().Be("ForbiddenByRbac");
        read.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the role is on another secret");

        IReadOnlyList<VaultAuditEvent> events;
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            events = await _server.Vault.GetAuditEventsAsync(new AuditQuery { PrincipalId = "reader-only" });
        }

        var denied = events.Should().Contain(e => e.OperationName == "SecretSet").Which;
        denied.ResultSignature.Should().Be("Forbidden");
        denied.CallerIpAddress.Should().Be("127.0.0.1");
        denied.Identity.Name.Should().Be("reader-only (test user)");
        denied.Properties.ClientInfo.Should().Contain("rest-access-test/1.0");
        denied.Properties.Id.Should().Contain("secrets/allowed");
        events.Should().Contain(e => e.OperationName == "SecretGet" && e.ResultSignature == "Forbidden");
    }

    [Fact]
    public async Task The_firewall_lets_an_allowed_address_through_and_refuses_another_with_forbidden_by_firewall()
    {
        _server = await RestServer.StartAsync(o =>
        {
            o.Network.DefaultAction = VaultNetworkAction.Deny;
            o.Network.IpRules.Add("127.0.0.1/32");
            o.Network.IpRules.Add("2001:db8::/32");
        });
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        using var allowed = _server.Http(_server.Token("app"), from: IPAddress.Loopback);
        using var refused = _server.Http(_server.Token("app"), from: IPAddress.Parse("127.0.0.2"));

        using var ok = await allowed.PutAsJsonAsync("secrets/fw" + Version, new { value = "v" });
        using var no = await refused.GetAsync("secrets/fw" + Version);
        using var noWithoutToken = await _server.Http(from: IPAddress.Parse("127.0.0.2")).GetAsync("secrets/fw" + Version);

        ok.StatusCode.Should().Be(HttpStatusCode.OK);
        no.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var error = await RestProtocolTests.ErrorAsync(no);
        error.Inner.Should().Be("ForbiddenByFirewall");
        error.Message.Should().Contain("127.0.0.2");
        noWithoutToken.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the firewall answers before the challenge");
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.1/8")]
    [InlineData("not an address")]
    public async Task A_network_rule_that_is_not_a_cidr_range_stops_the_mapping(string rule)
    {
        var start = () => RestServer.StartAsync(o =>
        {
            o.Network.DefaultAction = VaultNetworkAction.Deny;
            o.Network.IpRules.Add(rule);
        });

        (await start.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain(rule);
    }

    [Fact]
    public async Task Past_the_limit_a_caller_gets_429_with_retry_after_until_the_window_ends()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _server = await RestServer.StartAsync(o =>
        {
            o.Throttling.VaultTransactions = 3;
            o.Throttling.Window = TimeSpan.FromSeconds(10);
        }, time);
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        using var client = _server.Http(_server.Token("app"));

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("secrets" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        time.Advance(TimeSpan.FromSeconds(3));
        using var throttled = await client.GetAsync("secrets" + Version);
        throttled.StatusCode.Should().Be((HttpStatusCode)429);
        throttled.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(7));
        (await RestProtocolTests.ErrorAsync(throttled)).Code.Should().Be("Throttled");

        time.Advance(TimeSpan.FromSeconds(7));
        (await client.GetAsync("secrets" + Version)).StatusCode.Should().Be(HttpStatusCode.OK, "a new window began");
    }

    [Fact]
    public async Task A_vault_without_access_control_serves_nothing_unless_the_host_allows_it()
    {
        _server = await RestServer.StartAsync(rbac: false);
        using var client = _server.Http(_server.Token("anyone"));

        using var refused = await client.GetAsync("secrets" + Version);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await RestProtocolTests.ErrorAsync(refused)).Message.Should().Contain("access control is off");
    }

    [Fact]
    public async Task Plain_http_is_refused_and_a_unix_socket_is_let_through_the_firewall()
    {
        var socketPath = Path.Combine(Path.GetTempPath(), $"kve-rest-{Guid.NewGuid():N}.sock");
        var httpPort = 0;
        _server = await RestServer.StartAsync(
            o => o.Network.DefaultAction = VaultNetworkAction.Deny,
            listen: kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0);
                kestrel.ListenUnixSocket(socketPath);
            });
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        httpPort = _server.Addresses.Select(a => new Uri(a.Replace("unix:", "http://unix", StringComparison.Ordinal))).First(u => u.Scheme == "http" && u.Host != "unix").Port;
        var token = _server.Token("app");

        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/") };
        plain.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var overHttp = await plain.GetAsync("secrets" + Version);

        using var unix = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://vault.local/") };
        unix.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var overSocket = await unix.PutAsJsonAsync("secrets/local" + Version, new { value = "v" });

        overHttp.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await RestProtocolTests.ErrorAsync(overHttp)).Message.Should().Contain("HTTPS");
        overSocket.StatusCode.Should().Be(HttpStatusCode.OK, "a Unix socket's permissions decide who connects");
        File.Delete(socketPath);
    }
}
