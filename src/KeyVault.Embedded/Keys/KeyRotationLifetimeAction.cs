namespace KeyVault.Embedded.Keys;

/// <summary>
/// One action of a key rotation policy and when it fires: <see cref="TimeAfterCreate"/> (Rotate only) or
/// <see cref="TimeBeforeExpiry"/>, as an ISO 8601 duration such as <c>P90D</c>, <c>P3M</c> or <c>PT48H</c>.
/// </summary>
public sealed class KeyRotationLifetimeAction
{
    /// <summary>Creates an action.</summary>
    /// <param name="action">Rotate or Notify.</param>
    public KeyRotationLifetimeAction(KeyRotationPolicyAction action)
    {
        Action = action;
    }

    /// <summary>What the action does.</summary>
    public KeyRotationPolicyAction Action { get; }

    /// <summary>Fire this long after the current version was created (Rotate only; at least 7 days).</summary>
    public string? TimeAfterCreate { get; set; }

    /// <summary>Fire this long before the current version expires (at least 7 days; needs the policy's ExpiresIn).</summary>
    public string? TimeBeforeExpiry { get; set; }

    /// <summary>The action and its trigger.</summary>
    public override string ToString() =>
        $"{Action} {(TimeAfterCreate is not null ? $"{TimeAfterCreate} after create" : $"{TimeBeforeExpiry} before expiry")}";
}
