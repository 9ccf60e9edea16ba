using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using KeyVault.Embedded.Access;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using KeyVault.Embedded.AspNetCore.Authentication;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// <c>JwtBearerOptions.UseValidatedTokenCache</c> behind the REST front: a token the host's handler accepted is not
/// checked again within the window (on a <see cref="FakeTimeProvider"/>), is checked again after it and after the
/// token's own expiry; refused tokens are never kept; access control still decides every request; each request gets
/// its own copy of the identity. The real JsonWebTokenHandler is wrapped in a counter to see each check.
/// </summary>
public sealed class ValidatedTokenCacheTests : IAsyncDisposable
{
    private const string Version = "?api-version=7.6";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Counting _counter = new();
    private RestServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_accepted_token_is_checked_once_per_window_and_again_after_it()
    {
        await StartAsync();
        using var client = _server!.Http(_server.Token("app"));

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        _counter.Checks.Should().Be(1, "the second and third requests reuse the first check");
        _time.Advance(TimeSpan.FromSeconds(61));
        (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        _counter.Checks.Should().Be(2, "after the one-minute window the token is checked again");
    }

    [Fact]
    public async Task A_kept_token_is_not_reused_past_its_own_expiry()
    {
        await StartAsync();
        // Twenty seconds on the cache's clock (the fake one started before the server did, so the host's check on the
        // real clock still accepts the token on the second request).
        using var client = _server!.Http(_server.Token("app", expires: _time.GetUtcNow().UtcDateTime.AddSeconds(20)));

        (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        _time.Advance(TimeSpan.FromSeconds(21));
        await client.GetAsync("secrets/cached" + Version);

        _counter.Checks.Should().Be(2, "the window ends at the token's exp (20 s), before the cache's 60 s");
    }

    [Fact]
    public async Task A_refused_token_is_never_kept_and_access_control_still_decides_each_request()
    {
        await StartAsync();
        using var forged = _server!.Http(_server.Token("app", key: ECDsa.Create(ECCurve.NamedCurves.nistP256)));
        (await forged.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await forged.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _counter.Checks.Should().Be(2, "a refused token is checked (and refused) every time");

        using var client = _server.Http(_server.Token("app"));
        (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            foreach (var assignment in await _server.Vault.Access.GetRoleAssignmentsAsync(KeyVaultRoleScope.Secret("cached")))
            {
                await _server.Vault.Access.DeleteRoleAssignmentAsync(assignment.Scope, assignment.Name);
            }
        }

        (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the cache knows who the caller is, never what it may do");
        _counter.Checks.Should().Be(3);
    }

    [Fact]
    public async Task Each_request_gets_its_own_copy_of_the_identity()
    {
        var seen = new List<int>();
        await StartAsync(o => o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                // A host's event that adds a claim: with a shared identity, the claims would pile up request after request.
                var identity = (ClaimsIdentity)context.Principal!.Identity!;
                identity.AddClaim(new Claim("added-by-event", "1"));
                lock (seen)
                {
                    seen.Add(identity.FindAll("added-by-event").Count());
                }

                return Task.CompletedTask;
            },
        });
        using var client = _server!.Http(_server.Token("app"));

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        _counter.Checks.Should().Be(1);
        seen.Should().Equal(1, 1, 1);
    }

    [Fact]
    public async Task A_delegate_validator_or_replay_detection_turns_the_cache_off_for_the_scheme()
    {
        await StartAsync(o => o.TokenValidationParameters.AudienceValidator = (audiences, _, _) => audiences.Contains(RestServer.Audience));
        using var client = _server!.Http(_server.Token("app"));

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("secrets/cached" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        _counter.Checks.Should().Be(3, "a validator delegate may depend on the request, so every token is checked");
    }

    [Fact]
    public void The_same_token_under_other_audiences_is_not_a_hit()
    {
        var cache = new ValidatedTokenCache(TimeSpan.FromMinutes(1), _time);
        var (token, result) = Accepted("one");
        var first = new TokenValidationParameters { ValidAudience = "https://a.example" };
        var second = new TokenValidationParameters { ValidAudience = "https://b.example" };

        cache.Add(token, first, result);

        cache.Find(token, first).Should().NotBeNull();
        cache.Find(token, second).Should().BeNull("the key covers the issuers and audiences checked");
        cache.Find(token + " ", first).Should().BeNull("the key is the token's exact characters");
    }

    [Fact]
    public void A_full_cache_keeps_its_tokens_and_makes_room_only_as_they_expire()
    {
        var cache = new ValidatedTokenCache(TimeSpan.FromMinutes(1), _time);
        var parameters = new TokenValidationParameters();
        var (firstToken, firstResult) = Accepted("first");
        cache.Add(firstToken, parameters, firstResult);
        for (var i = 1; i < ValidatedTokenCache.Capacity; i++)
        {
            var (token, result) = Accepted("filler-" + i);
            cache.Add(token, parameters, result);
        }

        var (late, lateResult) = Accepted("late");
        cache.Add(late, parameters, lateResult);

        cache.Find(late, parameters).Should().BeNull("a full cache keeps no new token");
        cache.Find(firstToken, parameters).Should().NotBeNull("many new tokens cannot push out one already kept");
        _time.Advance(TimeSpan.FromMinutes(2));
        cache.Add(late, parameters, Accepted("late").Result);
        cache.Find(late, parameters).Should().NotBeNull("the expired entries made room");
    }

    [Fact]
    public void Legacy_security_token_validators_are_refused()
    {
        var options = new JwtBearerOptions { UseSecurityTokenValidators = true };

        var use = () => options.UseValidatedTokenCache();

        use.Should().Throw<InvalidOperationException>().WithMessage("*UseSecurityTokenValidators*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3601)]
    public void A_duration_outside_zero_to_one_hour_is_refused(int seconds)
    {
        var options = new JwtBearerOptions();

        var use = () => options.UseValidatedTokenCache(TimeSpan.FromSeconds(seconds));

        use.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*one hour*");
    }

    private async Task StartAsync(Action<JwtBearerOptions>? more = null)
    {
        _server = await RestServer.StartAsync(time: _time, services: s => s.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
        {
            more?.Invoke(o);
            _counter.Inner = o.TokenHandlers[0];
            o.TokenHandlers[0] = _counter;
            o.UseValidatedTokenCache(TimeSpan.FromMinutes(1), _time);
        }));
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await _server.Vault.Secrets.SetSecretAsync("cached", "cached-value");
        }

        await _server.AssignAsync("app", KeyVaultRoles.SecretsUser, KeyVaultRoleScope.Secret("cached"));
    }

    /// <summary>A token string and what accepting it gave: an unsigned JWT expiring in an hour on the test's clock.</summary>
    private (string Token, TokenValidationResult Result) Accepted(string subject)
    {
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Expires = _time.GetUtcNow().UtcDateTime.AddHours(1),
            IssuedAt = _time.GetUtcNow().UtcDateTime,
            NotBefore = _time.GetUtcNow().UtcDateTime,
        });
        return (token, new TokenValidationResult { IsValid = true, SecurityToken = new JsonWebToken(token), ClaimsIdentity = new ClaimsIdentity([new Claim("sub", subject)], "test") });
    }

    /// <summary>The real handler, counting each check it makes.</summary>
    private sealed class Counting : TokenHandler
    {
        private int _checks;

        public TokenHandler Inner { get; set; } = null!;

        public int Checks => Volatile.Read(ref _checks);

        public override SecurityToken ReadToken(string token) => Inner.ReadToken(token);

        public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Interlocked.Increment(ref _checks);
            return Inner.ValidateTokenAsync(token, validationParameters);
        }
    }
}
