using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Access;

/// <summary>
/// What each vault operation needs: the Azure data action RBAC checks, the access-policy permission, and where the
/// check applies. Written from Azure's published data actions and its REST API's permission notes (see
/// <c>docs/access-control.md</c>); operations Azure has no data action for (root and key-encryption key rotation,
/// purge protection, purge-due, expiry notices, the health probe) are vault administration, named under
/// <c>Microsoft.KeyVault/vaults/embedded/</c> so that only <c>Microsoft.KeyVault/vaults/*</c> (Administrator) grants them.
/// </summary>
internal static class OperationActions
{
    private const string Vaults = "Microsoft.KeyVault/vaults/";

    private static readonly List<string> Known = [];
    private static readonly System.Collections.Frozen.FrozenDictionary<string, OperationAction> Table = Build();

    /// <summary>Every data action an operation needs, by index (<see cref="OperationAction.ActionIndex"/>): roles decide each once.</summary>
    public static IReadOnlyList<string> DataActions => Known;

    /// <summary>The index of <c>Microsoft.KeyVault/vaults/keys/read</c>, which allows the public-key operations on an asymmetric key.</summary>
    public static int KeyReadIndex { get; } = Known.IndexOf(Vaults + "keys/read");

    /// <summary>What <paramref name="operation"/> needs.</summary>
    public static OperationAction For(string operation) =>
        Table.TryGetValue(operation, out var action) ? action : throw new InvalidOperationException($"Operation '{operation}' has no data action.");

    /// <summary>Every operation with its need (for tests and documentation).</summary>
    public static IReadOnlyDictionary<string, OperationAction> All => Table;

    private static System.Collections.Frozen.FrozenDictionary<string, OperationAction> Build()
    {
        var table = new Dictionary<string, OperationAction>(StringComparer.Ordinal);
        void Add(string operation, string action, ObjectType? policyType, string permission, ActionTarget target = ActionTarget.Object, bool publicKey = false)
        {
            var dataAction = Vaults + action;
            var index = Known.IndexOf(dataAction);
            if (index < 0)
            {
                index = Known.Count;
                Known.Add(dataAction);
            }

            table.Add(operation, new OperationAction(dataAction, index, policyType, permission, target, publicKey));
        }

        void Lifecycle(ObjectType type, string plural, string read)
        {
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.List), read, type, "list", ActionTarget.Type);
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.ListVersions), read, type, "list");
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.Delete), $"{plural}/delete", type, "delete");
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.GetDeleted), read, type, "get");
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.ListDeleted), read, type, "list", ActionTarget.Type);
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.Recover), $"{plural}/recover/action", type, "recover");
            Add(VaultOperation.For(type, VaultOperation.Lifecycle.Purge), $"{plural}/purge/action", type, "purge");
        }

        Lifecycle(ObjectType.Secret, "secrets", "secrets/readMetadata/action");
        Add(VaultOperation.SecretSet, "secrets/setSecret/action", ObjectType.Secret, "set");
        Add(VaultOperation.SecretGet, "secrets/getSecret/action", ObjectType.Secret, "get");
        Add(VaultOperation.SecretUpdate, "secrets/update/action", ObjectType.Secret, "set");
        Add(VaultOperation.SecretBackup, "secrets/backup/action", ObjectType.Secret, "backup");
        Add(VaultOperation.SecretRestore, "secrets/restore/action", ObjectType.Secret, "restore", ActionTarget.Type);

        Lifecycle(ObjectType.Key, "keys", "keys/read");
        Add(VaultOperation.KeyCreate, "keys/create/action", ObjectType.Key, "create");
        Add(VaultOperation.KeyImport, "keys/import/action", ObjectType.Key, "import");
        Add(VaultOperation.KeyGet, "keys/read", ObjectType.Key, "get");
        Add(VaultOperation.KeyUpdate, "keys/update/action", ObjectType.Key, "update");
        Add(VaultOperation.KeyBackup, "keys/backup/action", ObjectType.Key, "backup");
        Add(VaultOperation.KeyRestore, "keys/restore/action", ObjectType.Key, "restore", ActionTarget.Type);
        Add(VaultOperation.KeyRotate, "keys/rotate/action", ObjectType.Key, "rotate");
        Add(VaultOperation.KeyRotationPolicyGet, "keyrotationpolicies/read", ObjectType.Key, "getrotationpolicy");
        Add(VaultOperation.KeyRotationPolicySet, "keyrotationpolicies/write", ObjectType.Key, "setrotationpolicy");
        Add(VaultOperation.KeyRotationPoliciesApply, "keys/rotate/action", ObjectType.Key, "rotate", ActionTarget.Type);
        Add(VaultOperation.KeyGetRandomBytes, "keys/rng/action", ObjectType.Key, "get", ActionTarget.Type);
        Add(VaultOperation.KeyEncrypt, "keys/encrypt/action", ObjectType.Key, "encrypt", publicKey: true);
        Add(VaultOperation.KeyDecrypt, "keys/decrypt/action", ObjectType.Key, "decrypt");
        Add(VaultOperation.KeyWrap, "keys/wrap/action", ObjectType.Key, "wrapKey", publicKey: true);
        Add(VaultOperation.KeyUnwrap, "keys/unwrap/action", ObjectType.Key, "unwrapKey");
        Add(VaultOperation.KeySign, "keys/sign/action", ObjectType.Key, "sign");
        Add(VaultOperation.KeyVerify, "keys/verify/action", ObjectType.Key, "verify", publicKey: true);

        Lifecycle(ObjectType.Certificate, "certificates", "certificates/read");
        Add(VaultOperation.CertificateCreate, "certificates/create/action", ObjectType.Certificate, "create");
        Add(VaultOperation.CertificateImport, "certificates/import/action", ObjectType.Certificate, "import");
        Add(VaultOperation.CertificateGet, "certificates/read", ObjectType.Certificate, "get");
        Add(VaultOperation.CertificateUpdate, "certificates/update/action", ObjectType.Certificate, "update");
        Add(VaultOperation.CertificateBackup, "certificates/backup/action", ObjectType.Certificate, "backup");
        Add(VaultOperation.CertificateRestore, "certificates/restore/action", ObjectType.Certificate, "restore", ActionTarget.Type);
        Add(VaultOperation.CertificatePolicyGet, "certificates/read", ObjectType.Certificate, "get");
        Add(VaultOperation.CertificatePolicySet, "certificates/update/action", ObjectType.Certificate, "update");
        Add(VaultOperation.CertificatePendingGet, "certificates/read", ObjectType.Certificate, "get");
        Add(VaultOperation.CertificatePendingUpdate, "certificates/update/action", ObjectType.Certificate, "update");
        Add(VaultOperation.CertificatePendingDelete, "certificates/update/action", ObjectType.Certificate, "update");
        Add(VaultOperation.CertificatePendingMerge, "certificates/create/action", ObjectType.Certificate, "create");

        // The certificate's private key and PFX are its managed secret's value and its managed key (Azure serves them
        // through the secret and key endpoints): the data actions, and the scope, are the secret's and the key's.
        Add(VaultOperation.CertificateDownload, "secrets/getSecret/action", ObjectType.Secret, "get", ActionTarget.ManagedSecret);
        Add(VaultOperation.CertificateGetKey, "keys/sign/action", ObjectType.Key, "sign", ActionTarget.ManagedKey);
        Add(VaultOperation.CertificateContactsGet, "certificatecontacts/write", ObjectType.Certificate, "managecontacts", ActionTarget.Type);
        Add(VaultOperation.CertificateContactsSet, "certificatecontacts/write", ObjectType.Certificate, "managecontacts", ActionTarget.Type);
        Add(VaultOperation.CertificateContactsDelete, "certificatecontacts/write", ObjectType.Certificate, "managecontacts", ActionTarget.Type);
        Add(VaultOperation.CertificateIssuerSet, "certificatecas/write", ObjectType.Certificate, "setissuers", ActionTarget.Type);
        Add(VaultOperation.CertificateIssuerGet, "certificatecas/read", ObjectType.Certificate, "getissuers", ActionTarget.Type);
        Add(VaultOperation.CertificateIssuerUpdate, "certificatecas/write", ObjectType.Certificate, "setissuers", ActionTarget.Type);
        Add(VaultOperation.CertificateIssuerDelete, "certificatecas/delete", ObjectType.Certificate, "deleteissuers", ActionTarget.Type);
        Add(VaultOperation.CertificateIssuerList, "certificatecas/read", ObjectType.Certificate, "listissuers", ActionTarget.Type);
        Add(VaultOperation.CertificateLifetimeActionsApply, "certificates/create/action", ObjectType.Certificate, "create", ActionTarget.Type);

        Add(VaultOperation.VaultPurgeDue, "embedded/purgeDue/action", null, "purge", ActionTarget.Vault);
        Add(VaultOperation.VaultCheckExpiry, "embedded/checkExpiry/action", null, "list", ActionTarget.Vault);
        Add(VaultOperation.VaultHealthProbe, "embedded/health/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultEnablePurgeProtection, "embedded/settings/write", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultRotateKeyEncryptionKey, "embedded/rotateKeyEncryptionKey/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultRotateRootKey, "embedded/rotateRootKey/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultBackup, "embedded/backup/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultExport, "embedded/export/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.VaultImport, "embedded/import/action", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.AccessRead, "embedded/access/read", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.AccessWrite, "embedded/access/write", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.AuditRead, "embedded/audit/read", null, "manage", ActionTarget.Vault);
        Add(VaultOperation.AuditPrune, "embedded/audit/prune/action", null, "manage", ActionTarget.Vault);
        return System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(table, StringComparer.Ordinal);
    }
}

/// <summary>Where an operation's check applies.</summary>
internal enum ActionTarget
{
    /// <summary>The named object (<c>/secrets/{name}</c>), or the type when the operation names none.</summary>
    Object,

    /// <summary>The object type (<c>/keys</c>): listings, contacts, issuers, passes over every object.</summary>
    Type,

    /// <summary>The whole vault (<c>/</c>).</summary>
    Vault,

    /// <summary>The certificate's managed secret (<c>/secrets/{name}</c>).</summary>
    ManagedSecret,

    /// <summary>The certificate's managed key (<c>/keys/{name}</c>).</summary>
    ManagedKey,
}

/// <summary>An operation's need: its RBAC data action, its access-policy permission (for which type), and its target.</summary>
/// <param name="DataAction">The RBAC data action.</param>
/// <param name="ActionIndex">The data action's index in <see cref="OperationActions.DataActions"/>.</param>
/// <param name="PolicyType">The type whose access-policy permissions apply; null for vault administration.</param>
/// <param name="Permission">The access-policy permission.</param>
/// <param name="Target">Where the check applies.</param>
/// <param name="PublicKeyOperation">Whether, on an asymmetric key, reading the key suffices (Azure's rule for encrypt, wrap and verify).</param>
internal sealed record OperationAction(string DataAction, int ActionIndex, ObjectType? PolicyType, string Permission, ActionTarget Target, bool PublicKeyOperation);
