using System.Text.Json;
using System.Text.Json.Serialization;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Keys;

/// <summary>Validates, stores and evaluates key rotation policies with Azure Key Vault's rules.</summary>
internal static class RotationPolicies
{
    private static readonly TimeSpan MinimumExpiry = TimeSpan.FromDays(28);
    private static readonly TimeSpan MinimumTrigger = TimeSpan.FromDays(7);
    private const string DefaultNotifyBeforeExpiry = "P30D";

    /// <summary>Checks a policy against Azure's rules and returns its stored form.</summary>
    /// <exception cref="VaultException"><c>BadParameter</c> naming the rule broken.</exception>
    public static StoredRotationPolicy Validate(KeyRotationPolicy policy, DateTimeOffset now, StoredRotationPolicy? previous)
    {
        Iso8601Duration? expiresIn = null;
        if (policy.ExpiresIn is not null)
        {
            expiresIn = Iso8601Duration.Parse(policy.ExpiresIn, "ExpiresIn");
            if (expiresIn.Value.LengthFrom(now) < MinimumExpiry)
            {
                throw VaultErrors.BadParameter($"ExpiresIn '{policy.ExpiresIn}' is too short: a rotation policy's expiry is at least 28 days (P28D).");
            }
        }

        var actions = new List<StoredLifetimeAction>();
        foreach (var action in policy.LifetimeActions)
        {
            if (action is null)
            {
                throw VaultErrors.BadParameter("A rotation policy's lifetime actions may not hold a null action.");
            }

            if (action.Action != KeyRotationPolicyAction.Rotate && action.Action != KeyRotationPolicyAction.Notify)
            {
                throw VaultErrors.BadParameter($"Lifetime action '{action.Action}' is not supported: use Rotate or Notify.");
            }

            if (actions.Any(a => a.Type == action.Action.Value))
            {
                throw VaultErrors.BadParameter($"A rotation policy has at most one {action.Action} action.");
            }

            if ((action.TimeAfterCreate is null) == (action.TimeBeforeExpiry is null))
            {
                throw VaultErrors.BadParameter($"The {action.Action} action needs exactly one trigger: TimeAfterCreate or TimeBeforeExpiry.");
            }

            if (action.Action == KeyRotationPolicyAction.Notify && action.TimeAfterCreate is not null)
            {
                throw VaultErrors.BadParameter("The Notify action fires only before expiry (TimeBeforeExpiry), not after creation.");
            }

            var (field, text) = action.TimeAfterCreate is not null ? ("TimeAfterCreate", action.TimeAfterCreate) : ("TimeBeforeExpiry", action.TimeBeforeExpiry!);
            var trigger = Iso8601Duration.Parse(text, $"{action.Action} {field}");
            if (trigger.LengthFrom(now) < MinimumTrigger)
            {
                throw VaultErrors.BadParameter($"{action.Action} {field} '{text}' is too short: triggers are at least 7 days (P7D).");
            }

            // A rotation before expiry needs rotated versions to expire. A notice before expiry does not: it is Azure's
            // default policy (Notify 30 days before expiry, no ExpiresIn), which its SDKs read and write back; it fires
            // for versions that have an expiry of their own.
            if (action.TimeBeforeExpiry is not null && expiresIn is null && action.Action == KeyRotationPolicyAction.Rotate)
            {
                throw VaultErrors.BadParameter($"{action.Action} TimeBeforeExpiry needs the policy's ExpiresIn, so that rotated versions expire.");
            }

            if (expiresIn is { } expiry && trigger.LengthFrom(now) > expiry.LengthFrom(now) - MinimumTrigger)
            {
                throw VaultErrors.BadParameter(
                    $"{action.Action} {field} '{text}' must leave at least 7 days between the trigger and the expiry ExpiresIn '{policy.ExpiresIn}'.");
            }

            actions.Add(new StoredLifetimeAction(action.Action.Value, action.TimeAfterCreate, action.TimeBeforeExpiry));
        }

        var unix = now.ToUnixTimeSeconds();
        var created = previous?.Actions is not null ? previous.Created : unix;
        return new StoredRotationPolicy(policy.ExpiresIn, actions, created, unix, previous?.NotifiedVersion);
    }

    private static IReadOnlyList<StoredLifetimeAction> Actions(StoredRotationPolicy? stored) =>
        stored?.Actions ?? [new StoredLifetimeAction(KeyRotationPolicyAction.Notify.Value, null, DefaultNotifyBeforeExpiry)];

    public static StoredRotationPolicy? Read(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, RecordJsonContext.Default.StoredRotationPolicy);

    public static string Write(StoredRotationPolicy policy) => JsonSerializer.Serialize(policy, RecordJsonContext.Default.StoredRotationPolicy);

    /// <summary>The public form; Azure's default (notify 30 days before expiry) when the key has no policy of its own.</summary>
    public static KeyRotationPolicy ToPublic(StoredRotationPolicy? stored)
    {
        var own = stored?.Actions is not null;
        var policy = new KeyRotationPolicy
        {
            ExpiresIn = stored?.ExpiresIn,
            CreatedOn = own ? RecordAttributes.FromUnix(stored!.Created) : null,
            UpdatedOn = own ? RecordAttributes.FromUnix(stored!.Updated) : null,
        };
        foreach (var action in Actions(stored))
        {
            policy.LifetimeActions.Add(new KeyRotationLifetimeAction(action.Type) { TimeAfterCreate = action.TimeAfterCreate, TimeBeforeExpiry = action.TimeBeforeExpiry });
        }

        return policy;
    }

    /// <summary>Whether the current version is due for rotation, or for a near-expiry notification not yet sent.</summary>
    public static (bool Rotate, bool Notify) Due(StoredRotationPolicy? stored, ObjectVersion current, DateTimeOffset now)
    {
        var actions = Actions(stored);
        var created = RecordAttributes.FromUnix(current.Attributes.Created);
        var expires = RecordAttributes.FromUnix(current.Attributes.ExpiresOn);
        bool Fires(StoredLifetimeAction action) =>
            action.TimeAfterCreate is { } afterCreate
                ? now >= Iso8601Duration.ParseStored(afterCreate, "TimeAfterCreate").AddTo(created)
                : expires is { } exp && now >= Iso8601Duration.ParseStored(action.TimeBeforeExpiry!, "TimeBeforeExpiry").SubtractFrom(exp);

        var rotate = actions.Any(a => a.Type == KeyRotationPolicyAction.Rotate.Value && Fires(a));
        var notify = !rotate && stored?.NotifiedVersion != current.Version
            && actions.Any(a => a.Type == KeyRotationPolicyAction.Notify.Value && Fires(a));
        return (rotate, notify);
    }

    /// <summary>
    /// Records that the current version's near-expiry notification went out. A key without a policy of its own keeps
    /// Azure's default actions (stored as null) and only gains the record.
    /// </summary>
    public static StoredRotationPolicy MarkNotified(StoredRotationPolicy? stored, string version) =>
        (stored ?? new StoredRotationPolicy(null, null, 0, 0, null)) with { NotifiedVersion = version };

    /// <summary>The expiry a version made by the policy gets, or null.</summary>
    public static DateTimeOffset? NewVersionExpiry(StoredRotationPolicy? stored, DateTimeOffset now) =>
        stored?.ExpiresIn is { } expiresIn ? Iso8601Duration.ParseStored(expiresIn, "ExpiresIn").AddTo(now) : null;
}

/// <summary>A rotation policy as stored on the key's object record; null actions mean Azure's default policy.</summary>
internal sealed record StoredRotationPolicy(
    [property: JsonPropertyName("expiresIn")] string? ExpiresIn,
    [property: JsonPropertyName("actions")] IReadOnlyList<StoredLifetimeAction>? Actions,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("updated")] long Updated,
    [property: JsonPropertyName("notified")] string? NotifiedVersion);

/// <summary>One stored lifetime action.</summary>
internal sealed record StoredLifetimeAction(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("afterCreate")] string? TimeAfterCreate,
    [property: JsonPropertyName("beforeExpiry")] string? TimeBeforeExpiry);
