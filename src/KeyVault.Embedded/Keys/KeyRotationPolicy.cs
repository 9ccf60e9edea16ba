namespace KeyVault.Embedded.Keys;

/// <summary>
/// A key's rotation policy, with Azure Key Vault's rules: at most one Rotate and one Notify action; Rotate fires
/// after creation or before expiry, Notify only before expiry; triggers at least 7 days; <see cref="ExpiresIn"/> at
/// least 28 days, and at least 7 days longer than any trigger; a before-expiry trigger needs <see cref="ExpiresIn"/>.
/// A key without a policy of its own has Azure's default: notify 30 days before expiry.
/// </summary>
public sealed class KeyRotationPolicy
{
    /// <summary>ISO 8601 duration: the expiry given to each version the policy creates (for example <c>P2Y</c>).</summary>
    public string? ExpiresIn { get; set; }

    /// <summary>The actions and their triggers.</summary>
    public IList<KeyRotationLifetimeAction> LifetimeActions { get; } = [];

    /// <summary>When the policy was first set (null for the default policy).</summary>
    public DateTimeOffset? CreatedOn { get; internal set; }

    /// <summary>When the policy last changed (null for the default policy).</summary>
    public DateTimeOffset? UpdatedOn { get; internal set; }

    /// <summary>The policy in short.</summary>
    public override string ToString() => $"KeyRotationPolicy {{ ExpiresIn = {ExpiresIn}, Actions = [{string.Join("; ", LifetimeActions)}] }}";
}
