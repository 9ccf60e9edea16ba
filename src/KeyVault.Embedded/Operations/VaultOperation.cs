namespace KeyVault.Embedded.Operations;

/// <summary>
/// Operation names, as Azure Key Vault names them in its audit logs (<c>SecretGet</c>, <c>SecretSet</c>...).
/// Each public call runs as exactly one of these through <see cref="OperationPipeline"/>.
/// </summary>
internal static class VaultOperation
{
    public const string SecretSet = nameof(SecretSet);
    public const string SecretGet = nameof(SecretGet);
    public const string SecretUpdate = nameof(SecretUpdate);
    public const string SecretList = nameof(SecretList);
    public const string SecretListVersions = nameof(SecretListVersions);
    public const string SecretDelete = nameof(SecretDelete);
    public const string SecretGetDeleted = nameof(SecretGetDeleted);
    public const string SecretListDeleted = nameof(SecretListDeleted);
    public const string SecretRecover = nameof(SecretRecover);
    public const string SecretPurge = nameof(SecretPurge);
    public const string VaultPurgeDue = nameof(VaultPurgeDue);
    public const string VaultEnablePurgeProtection = nameof(VaultEnablePurgeProtection);
    public const string VaultRotateKeyEncryptionKey = nameof(VaultRotateKeyEncryptionKey);
    public const string VaultRotateRootKey = nameof(VaultRotateRootKey);
}
