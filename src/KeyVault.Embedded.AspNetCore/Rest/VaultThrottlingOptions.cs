namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Request limits per vault and window, after Azure Key Vault's service limits (software keys, RSA 2048 and EC): a
/// request past a limit gets 429 <c>Throttled</c> with <c>Retry-After</c>, the seconds until the window ends. Windows
/// run on the vault's <see cref="TimeProvider"/>.
/// </summary>
public sealed class VaultThrottlingOptions
{
    /// <summary>Whether limits apply. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The window the limits count over. Default 10 seconds, as Azure's.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Secret, certificate and other vault transactions per window. Azure: 4,000.</summary>
    public int VaultTransactions { get; set; } = 4000;

    /// <summary>Key operations other than creation (get, list, sign, verify, encrypt, wrap...) per window. Azure: 2,000.</summary>
    public int KeyTransactions { get; set; } = 2000;

    /// <summary>Key creations (key create, import, rotate, restore; certificate create, import, restore) per window. Azure: 10.</summary>
    public int KeyCreations { get; set; } = 10;
}
