namespace KeyVault.Embedded.Certificates;

/// <summary>What a certificate policy's lifetime action does.</summary>
/// <param name="Value">The action's name.</param>
public readonly record struct CertificatePolicyAction(string Value)
{
    /// <summary>Issue a new version (a new key unless the policy reuses it).</summary>
    public static CertificatePolicyAction AutoRenew { get; } = new("AutoRenew");

    /// <summary>Notify the vault's certificate contacts that the certificate nears expiry.</summary>
    public static CertificatePolicyAction EmailContacts { get; } = new("EmailContacts");

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator CertificatePolicyAction(string value) => new(value);

    /// <summary>The name.</summary>
    public override string ToString() => Value;
}
