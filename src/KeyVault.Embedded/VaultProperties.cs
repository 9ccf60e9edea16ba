namespace KeyVault.Embedded;

/// <summary>The vault-wide facts recorded in the vault header.</summary>
public sealed class VaultProperties
{
    internal VaultProperties(Guid vaultId, Uri vaultUri, DateTimeOffset createdOn, int softDeleteRetentionDays, bool purgeProtectionEnabled, string rootKind, int keyEncryptionKeyVersion)
    {
        VaultId = vaultId;
        VaultUri = vaultUri;
        CreatedOn = createdOn;
        SoftDeleteRetentionDays = softDeleteRetentionDays;
        PurgeProtectionEnabled = purgeProtectionEnabled;
        RootKind = rootKind;
        KeyEncryptionKeyVersion = keyEncryptionKeyVersion;
    }

    /// <summary>The vault's random id, bound into every sealed record.</summary>
    public Guid VaultId { get; }

    /// <summary>The base of every object identifier: <c>embeddedvault://{vault id}/</c>.</summary>
    public Uri VaultUri { get; }

    /// <summary>When the vault was created.</summary>
    public DateTimeOffset CreatedOn { get; }

    /// <summary>Days a deleted object stays recoverable; fixed at creation.</summary>
    public int SoftDeleteRetentionDays { get; }

    /// <summary>Whether purge protection is on (it never goes off again).</summary>
    public bool PurgeProtectionEnabled { get; }

    /// <summary>The kind of root the vault is sealed under (<see cref="IRootKeyProvider.Kind"/>).</summary>
    public string RootKind { get; }

    /// <summary>The key-encryption key version that seals new records.</summary>
    public int KeyEncryptionKeyVersion { get; }

    /// <summary>The vault id and settings.</summary>
    public override string ToString() =>
        $"Vault {VaultId:N} (retention {SoftDeleteRetentionDays} days, purge protection {(PurgeProtectionEnabled ? "on" : "off")}, root {RootKind}, KEK v{KeyEncryptionKeyVersion})";
}
