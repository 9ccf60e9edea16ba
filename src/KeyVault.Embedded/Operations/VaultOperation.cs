using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Operations;

/// <summary>
/// Operation names, as Azure Key Vault names them in its audit logs (<c>SecretGet</c>, <c>KeySign</c>...). Each
/// public call runs as exactly one of these through <see cref="OperationPipeline"/>.
/// </summary>
internal static class VaultOperation
{
    public const string SecretSet = nameof(SecretSet);
    public const string SecretGet = nameof(SecretGet);
    public const string SecretUpdate = nameof(SecretUpdate);
    public const string SecretBackup = nameof(SecretBackup);
    public const string SecretRestore = nameof(SecretRestore);
    public const string KeyCreate = nameof(KeyCreate);
    public const string KeyImport = nameof(KeyImport);
    public const string KeyGet = nameof(KeyGet);
    public const string KeyUpdate = nameof(KeyUpdate);
    public const string KeyBackup = nameof(KeyBackup);
    public const string KeyRestore = nameof(KeyRestore);
    public const string KeyRotate = nameof(KeyRotate);
    public const string KeyRotationPolicyGet = nameof(KeyRotationPolicyGet);
    public const string KeyRotationPolicySet = nameof(KeyRotationPolicySet);
    public const string KeyRotationPoliciesApply = nameof(KeyRotationPoliciesApply);
    public const string KeyGetRandomBytes = nameof(KeyGetRandomBytes);
    public const string KeyEncrypt = nameof(KeyEncrypt);
    public const string KeyDecrypt = nameof(KeyDecrypt);
    public const string KeyWrap = nameof(KeyWrap);
    public const string KeyUnwrap = nameof(KeyUnwrap);
    public const string KeySign = nameof(KeySign);
    public const string KeyVerify = nameof(KeyVerify);
    public const string CertificateCreate = nameof(CertificateCreate);
    public const string CertificateGet = nameof(CertificateGet);
    public const string CertificateImport = nameof(CertificateImport);
    public const string CertificateUpdate = nameof(CertificateUpdate);
    public const string CertificateBackup = nameof(CertificateBackup);
    public const string CertificateRestore = nameof(CertificateRestore);
    public const string CertificatePolicyGet = nameof(CertificatePolicyGet);
    public const string CertificatePolicySet = nameof(CertificatePolicySet);
    public const string CertificatePendingGet = nameof(CertificatePendingGet);
    public const string CertificatePendingUpdate = nameof(CertificatePendingUpdate);
    public const string CertificatePendingDelete = nameof(CertificatePendingDelete);
    public const string CertificatePendingMerge = nameof(CertificatePendingMerge);
    public const string CertificateDownload = nameof(CertificateDownload);
    public const string CertificateGetKey = nameof(CertificateGetKey);
    public const string CertificateContactsGet = nameof(CertificateContactsGet);
    public const string CertificateContactsSet = nameof(CertificateContactsSet);
    public const string CertificateContactsDelete = nameof(CertificateContactsDelete);
    public const string CertificateIssuerSet = nameof(CertificateIssuerSet);
    public const string CertificateIssuerGet = nameof(CertificateIssuerGet);
    public const string CertificateIssuerUpdate = nameof(CertificateIssuerUpdate);
    public const string CertificateIssuerDelete = nameof(CertificateIssuerDelete);
    public const string CertificateIssuerList = nameof(CertificateIssuerList);
    public const string CertificateLifetimeActionsApply = nameof(CertificateLifetimeActionsApply);
    public const string VaultPurgeDue = nameof(VaultPurgeDue);
    public const string VaultCheckExpiry = nameof(VaultCheckExpiry);
    public const string VaultHealthProbe = nameof(VaultHealthProbe);
    public const string VaultEnablePurgeProtection = nameof(VaultEnablePurgeProtection);
    public const string VaultRotateKeyEncryptionKey = nameof(VaultRotateKeyEncryptionKey);
    public const string VaultRotateRootKey = nameof(VaultRotateRootKey);
    public const string VaultBackup = nameof(VaultBackup);
    public const string VaultExport = nameof(VaultExport);
    public const string VaultImport = nameof(VaultImport);
    public const string AccessRead = nameof(AccessRead);
    public const string AccessWrite = nameof(AccessWrite);
    public const string AuditRead = nameof(AuditRead);
    public const string AuditPrune = nameof(AuditPrune);

    private static readonly Dictionary<(ObjectType, Lifecycle), string> LifecycleNames =
        Enum.GetValues<ObjectType>().SelectMany(type => Enum.GetValues<Lifecycle>().Select(verb => (type, verb)))
            .ToDictionary(p => p, p => p.type.DisplayName() + p.verb);

    /// <summary>The lifecycle steps every object type shares.</summary>
    public enum Lifecycle
    {
        List,
        ListVersions,
        Delete,
        GetDeleted,
        ListDeleted,
        Recover,
        Purge,
    }

    /// <summary>The name of a shared lifecycle step for a type: <c>SecretDelete</c>, <c>KeyRecover</c>...</summary>
    public static string For(ObjectType type, Lifecycle step) => LifecycleNames[(type, step)];
}
