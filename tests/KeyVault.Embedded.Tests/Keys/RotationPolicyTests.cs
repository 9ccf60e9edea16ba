using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Keys;

public sealed class RotationPolicyTests : VaultTestBase
{
    private IKeyStore KeyStore => Vault.Keys;

    [Fact]
    public async Task A_key_without_a_policy_has_Azures_default_notify_30_days_before_expiry()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));

        var policy = await KeyStore.GetKeyRotationPolicyAsync("k");

        policy.ExpiresIn.Should().BeNull();
        policy.CreatedOn.Should().BeNull();
        policy.LifetimeActions.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Action = KeyRotationPolicyAction.Notify, TimeBeforeExpiry = "P30D", TimeAfterCreate = (string?)null });
    }

    [Fact]
    public async Task Azures_default_policy_read_back_is_accepted_as_an_update_and_a_rotate_before_expiry_still_needs_an_expiry()
    {
        // What the Azure SDKs' samples do: get the policy (here Azure's default: Notify 30 days before expiry, no
        // ExpiresIn) and update with it.
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        var updated = await KeyStore.UpdateKeyRotationPolicyAsync("k", await KeyStore.GetKeyRotationPolicyAsync("k"));
        updated.ExpiresIn.Should().BeNull();
        updated.LifetimeActions.Should().ContainSingle().Which.TimeBeforeExpiry.Should().Be("P30D");

        var refused = await FluentActions.Awaiting(() => KeyStore.UpdateKeyRotationPolicyAsync("k", Policy(null, Rotate(before: "P30D")))).Should().ThrowAsync<VaultException>();
        refused.Which.Message.Should().Contain("ExpiresIn");
    }

    public static TheoryData<string, KeyRotationPolicy, string> InvalidPolicies => new()
    {
        { "expiry under 28 days", Policy("P27D"), "28 days" },
        { "expiry not a duration", Policy("90 days"), "ISO 8601" },
        { "two rotate actions", Policy("P1Y", Rotate(after: "P30D"), Rotate(after: "P60D")), "at most one Rotate" },
        { "no trigger", Policy("P1Y", new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate)), "exactly one trigger" },
        { "two triggers", Policy("P1Y", Rotate(after: "P30D", before: "P30D")), "exactly one trigger" },
        { "notify after create", Policy("P1Y", Notify(after: "P30D")), "only before expiry" },
        { "trigger under 7 days", Policy("P1Y", Rotate(after: "P6D")), "at least 7 days" },
        { "before expiry without expiry", Policy(null, Rotate(before: "P30D")), "needs the policy's ExpiresIn" },
        { "trigger too close to expiry", Policy("P60D", Rotate(after: "P55D")), "at least 7 days between" },
        { "unknown action", Policy("P1Y", new KeyRotationLifetimeAction(new KeyRotationPolicyAction("Delete")) { TimeAfterCreate = "P30D" }), "Rotate or Notify" },
        { "expiry past the calendar's end", Policy("P8000Y"), "longer than 1000 years" },
        { "trigger past the calendar's end", Policy(null, Rotate(after: "P9999Y")), "longer than 1000 years" },
        { "digits of another script", Policy("P\u0669\u0660D"), "ISO 8601" },
        { "a final newline", Policy("P90D\n"), "ISO 8601" },
        { "a null action", Policy("P1Y", new KeyRotationLifetimeAction[] { null! }), "null action" },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public async Task Policies_that_break_Azures_rules_are_refused_by_name(string rule, KeyRotationPolicy policy, string mention)
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));

        var error = (await FluentActions.Awaiting(() => KeyStore.UpdateKeyRotationPolicyAsync("k", policy)).Should().ThrowAsync<VaultException>(rule)).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Message.Should().Contain(mention);
        (await KeyStore.GetKeyRotationPolicyAsync("k")).LifetimeActions.Single().Action.Should().Be(KeyRotationPolicyAction.Notify, "nothing was stored");
    }

    [Fact]
    public async Task A_valid_policy_is_stored_and_read_back()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));

        await KeyStore.UpdateKeyRotationPolicyAsync("k", Policy("P90D", Rotate(after: "P60D"), Notify(before: "P10D")));
        await ReopenAsync();
        var read = await KeyStore.GetKeyRotationPolicyAsync("k");

        read.ExpiresIn.Should().Be("P90D");
        read.CreatedOn.Should().Be(Start);
        read.LifetimeActions.Select(a => a.ToString()).Should().Equal("Rotate P60D after create", "Notify P10D before expiry");
    }

    [Fact]
    public async Task An_action_named_in_another_case_is_the_same_action_and_fires()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k"));
        var policy = Policy("P90D", new KeyRotationLifetimeAction(new KeyRotationPolicyAction("rotate")) { TimeAfterCreate = "P30D" });
        await KeyStore.UpdateKeyRotationPolicyAsync("k", policy);

        (await KeyStore.GetKeyRotationPolicyAsync("k")).LifetimeActions.Single().Action.ToString().Should().Be("Rotate", "it is stored in its canonical spelling");
        Time.Advance(TimeSpan.FromDays(30));
        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().ContainSingle();

        var twice = Policy("P90D", new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = "P30D" }, new KeyRotationLifetimeAction(new KeyRotationPolicyAction("ROTATE")) { TimeAfterCreate = "P40D" });
        await FluentActions.Awaiting(() => KeyStore.UpdateKeyRotationPolicyAsync("k", twice)).Should().ThrowAsync<VaultException>().WithMessage("*at most one*");
    }

    [Fact]
    public async Task Rotate_after_create_fires_on_its_day_and_again_for_the_new_version()
    {
        var first = await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("k") { CurveName = KeyCurveName.P384 });
        await KeyStore.UpdateKeyRotationPolicyAsync("k", Policy("P90D", Rotate(after: "P30D")));

        Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1));
        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().BeEmpty();

        Time.Advance(TimeSpan.FromSeconds(1));
        var rotated = (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().ContainSingle().Subject;
        rotated.Properties.Version.Should().NotBe(first.Properties.Version);
        rotated.Key.CurveName.Should().Be(KeyCurveName.P384, "a rotated key keeps its type and curve");
        rotated.Properties.ExpiresOn.Should().Be(Start.AddDays(30).AddDays(90), "new versions get the policy's expiry");
        (await KeyStore.GetKeyAsync("k")).Properties.Version.Should().Be(rotated.Properties.Version);
        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().BeEmpty("the new version is not due yet");

        Time.Advance(TimeSpan.FromDays(30));
        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().ContainSingle();
        (await KeyStore.GetPropertiesOfKeyVersionsAsync("k").ToListAsync()).Should().HaveCount(3);
    }

    [Fact]
    public async Task Rotate_before_expiry_fires_when_the_current_version_nears_its_expiry()
    {
        await KeyStore.CreateRsaKeyAsync(new CreateRsaKeyOptions("k") { ExpiresOn = Start.AddDays(40) });
        await KeyStore.UpdateKeyRotationPolicyAsync("k", Policy("P60D", Rotate(before: "P10D")));

        Time.Advance(TimeSpan.FromDays(29));
        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().BeEmpty();

        Time.Advance(TimeSpan.FromDays(1));
        var rotated = (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().ContainSingle().Subject;
        rotated.Properties.ExpiresOn.Should().Be(Start.AddDays(30 + 60));
        rotated.Key.N!.Length.Should().Be(256, "same size");
    }

    [Fact]
    public async Task Notify_reports_each_version_once_and_starts_again_after_rotation()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k") { ExpiresOn = Start.AddDays(40) });
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("quiet"));

        Time.Advance(TimeSpan.FromDays(9));
        (await KeyStore.ApplyRotationPoliciesAsync()).NearExpiry.Should().BeEmpty("the default policy notifies 30 days before expiry");

        Time.Advance(TimeSpan.FromDays(1));
        (await KeyStore.ApplyRotationPoliciesAsync()).NearExpiry.Select(p => p.Name).Should().Equal("k");
        (await KeyStore.ApplyRotationPoliciesAsync()).NearExpiry.Should().BeEmpty("each version is reported once");
        (await KeyStore.GetKeyRotationPolicyAsync("k")).CreatedOn.Should().BeNull("the key still has the default policy");

        await KeyStore.UpdateKeyRotationPolicyAsync("k", Policy("P30D", Notify(before: "P7D")));
        var rotated = await KeyStore.RotateKeyAsync("k");
        rotated.Properties.ExpiresOn.Should().Be(Start.AddDays(40), "a manual rotation applies the policy's expiry too");
        Time.Advance(TimeSpan.FromDays(23));
        (await KeyStore.ApplyRotationPoliciesAsync()).NearExpiry.Should().ContainSingle().Which.Version.Should().Be(rotated.Properties.Version);
    }

    [Fact]
    public async Task A_key_whose_expiry_is_near_the_calendars_start_is_due_and_stops_no_other_keys_rotation()
    {
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("ancient") { ExpiresOn = new DateTimeOffset(1, 1, 10, 0, 0, 0, TimeSpan.Zero) });
        await KeyStore.UpdateKeyRotationPolicyAsync("ancient", Policy("P90D", Rotate(before: "P30D")));
        await KeyStore.CreateEcKeyAsync(new CreateEcKeyOptions("due"));
        await KeyStore.UpdateKeyRotationPolicyAsync("due", Policy("P90D", Rotate(after: "P30D")));
        Time.Advance(TimeSpan.FromDays(30));

        var result = await KeyStore.ApplyRotationPoliciesAsync();

        result.Rotated.Select(k => k.Name).Should().BeEquivalentTo(["ancient", "due"], "30 days before an expiry in year 1 is long past; before the fix working it out threw and the pass stopped");
    }

    [Fact]
    public async Task Deleted_keys_are_not_rotated()
    {
        await KeyStore.CreateOctKeyAsync(new CreateOctKeyOptions("k"));
        await KeyStore.UpdateKeyRotationPolicyAsync("k", Policy(null, Rotate(after: "P7D")));
        await KeyStore.StartDeleteKeyAsync("k");

        Time.Advance(TimeSpan.FromDays(8));

        (await KeyStore.ApplyRotationPoliciesAsync()).Rotated.Should().BeEmpty();
    }

    [Theory]
    [InlineData("P1M", "2026-01-31", "2026-02-28")]
    [InlineData("P1Y", "2028-02-29", "2029-02-28")]
    [InlineData("P2W", "2026-01-01", "2026-01-15")]
    [InlineData("PT36H", "2026-01-01", "2026-01-02T12:00:00")]
    [InlineData("P1Y2M3DT4H5M6S", "2026-01-01", "2027-03-04T04:05:06")]
    public void Durations_add_on_the_calendar(string duration, string from, string expected)
    {
        var start = DateTimeOffset.Parse(from + (from.Contains('T') ? "Z" : "T00:00:00Z"), System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(expected + (expected.Contains('T') ? "Z" : "T00:00:00Z"), System.Globalization.CultureInfo.InvariantCulture);

        Iso8601Duration.Parse(duration, "test").AddTo(start).Should().Be(end);
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("30D")]
    [InlineData("P1.5D")]
    [InlineData("P-1D")]
    public void Malformed_durations_are_refused(string duration)
    {
        FluentActions.Invoking(() => Iso8601Duration.Parse(duration, "ExpiresIn")).Should().Throw<VaultException>().Which.Message.Should().Contain("ExpiresIn");
    }

    private static KeyRotationPolicy Policy(string? expiresIn, params KeyRotationLifetimeAction[] actions)
    {
        var policy = new KeyRotationPolicy { ExpiresIn = expiresIn };
        foreach (var action in actions)
        {
            policy.LifetimeActions.Add(action);
        }

        return policy;
    }

    private static KeyRotationLifetimeAction Rotate(string? after = null, string? before = null) =>
        new(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = after, TimeBeforeExpiry = before };

    private static KeyRotationLifetimeAction Notify(string? after = null, string? before = null) =>
        new(KeyRotationPolicyAction.Notify) { TimeAfterCreate = after, TimeBeforeExpiry = before };
}
