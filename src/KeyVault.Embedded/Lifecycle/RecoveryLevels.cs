namespace KeyVault.Embedded.Lifecycle;

/// <summary>Azure Key Vault's deletion recovery levels, from the vault's retention and purge protection.</summary>
internal static class RecoveryLevels
{
    public const int DefaultRetentionDays = 90;

    public static string For(int retentionDays, bool purgeProtection) => (retentionDays < DefaultRetentionDays, purgeProtection) switch
    {
        (false, false) => "Recoverable+Purgeable",
        (false, true) => "Recoverable",
        (true, false) => "CustomizedRecoverable+Purgeable",
        (true, true) => "CustomizedRecoverable",
    };
}
