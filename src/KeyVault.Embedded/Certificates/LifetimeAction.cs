namespace KeyVault.Embedded.Certificates;

/// <summary>
/// What happens as a certificate ages, and when: at a percentage of its lifetime (1 to 99) or a number of days before
/// it expires. Exactly one trigger.
/// </summary>
public sealed class LifetimeAction
{
    /// <summary>Creates an action.</summary>
    /// <param name="action">AutoRenew or EmailContacts.</param>
    public LifetimeAction(CertificatePolicyAction action)
    {
        Action = action;
    }

    /// <summary>What the action does.</summary>
    public CertificatePolicyAction Action { get; }

    /// <summary>Fire when this many days are left before expiry.</summary>
    public int? DaysBeforeExpiry { get; set; }

    /// <summary>Fire when this percentage (1 to 99) of the validity period has passed.</summary>
    public int? LifetimePercentage { get; set; }

    /// <summary>The action and its trigger.</summary>
    public override string ToString() =>
        $"{Action} at {(LifetimePercentage is { } p ? $"{p}% of lifetime" : $"{DaysBeforeExpiry} days before expiry")}";
}
