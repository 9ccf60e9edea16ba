using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded;

/// <summary>How to open (or create) a vault.</summary>
public sealed class EmbeddedVaultOptions
{
    /// <summary>The vault's minimum soft-delete retention, in days (Azure's).</summary>
    public const int MinimumRetentionDays = 7;

    /// <summary>The vault's maximum and default soft-delete retention, in days (Azure's).</summary>
    public const int MaximumRetentionDays = 90;

    /// <summary>
    /// The vault file. Created, with its log beside it (<c>name-log.ext</c>), when missing. Required.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The root of trust: <see cref="SoftwareRootKey"/> or a PKCS#11 root. Required.</summary>
    public IRootKeyProvider? RootKey { get; set; }

    /// <summary>
    /// How many days a deleted object stays recoverable: 7 to 90, default 90. Applies when the vault is created and
    /// is fixed from then on (as in Azure); opening an existing vault ignores it (see <see cref="EmbeddedVault.Properties"/>).
    /// </summary>
    public int SoftDeleteRetentionDays { get; set; } = MaximumRetentionDays;

    /// <summary>
    /// Turns purge protection on: at creation, or at the next open of an existing vault. Once on it can never be
    /// turned off (as in Azure); false never turns it off.
    /// </summary>
    public bool EnablePurgeProtection { get; set; }

    /// <summary>The clock for every date rule (expiry, retention, purge dates). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How many object and version records the vault keeps in memory (still sealed) for fast reads. Default 10,000.
    /// </summary>
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>Test seam: replaces the LiteDB record store (for example with a spy).</summary>
    internal Func<string, IRecordStore>? StoreFactory { get; set; }
}
