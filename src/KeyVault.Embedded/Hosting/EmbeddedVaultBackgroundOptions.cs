namespace KeyVault.Embedded.Hosting;

/// <summary>
/// The background service <c>AddEmbeddedVault</c> registers. Each pass, on the vault's <see cref="TimeProvider"/>:
/// purges deleted objects whose retention ended, applies key rotation policies and certificate lifetime actions, and
/// raises near-expiry and expired events. The first pass runs when the host starts.
/// </summary>
public sealed class EmbeddedVaultBackgroundOptions
{
    /// <summary>Whether the service runs. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between passes. Default one hour; at least one second.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long before expiry a secret, key or certificate counts as near expiry. Default 30 days (Azure's).</summary>
    public TimeSpan NearExpiryWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Who the background work runs as, for access control (assign it the roles its work needs: Key Vault
    /// Administrator covers purge-due and expiry notices). Default: <see cref="Access.VaultPrincipal.Application"/>.
    /// </summary>
    public Access.VaultPrincipal? Principal { get; set; }
}
