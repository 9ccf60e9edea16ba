namespace KeyVault.Embedded.Access;

/// <summary>
/// Azure Key Vault's built-in data-plane roles, with Azure's names, ids and data actions exactly as Azure publishes
/// them (MicrosoftDocs/azure-docs, <c>articles/role-based-access-control/built-in-roles/security.md</c>).
/// </summary>
public static class KeyVaultRoles
{
    /// <summary>Key Vault Administrator: Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition Administrator { get; } = new("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator", "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/*"], [], isBuiltIn: true);

    /// <summary>Key Vault Reader: Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition Reader { get; } = new("21090545-7ca7-4776-b22c-e363652d74d2", "Key Vault Reader", "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"], [], isBuiltIn: true);

    /// <summary>Key Vault Secrets Officer: Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition SecretsOfficer { get; } = new("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer", "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/secrets/*"], [], isBuiltIn: true);

    /// <summary>Key Vault Secrets User: Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition SecretsUser { get; } = new("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"], [], isBuiltIn: true);

    /// <summary>Key Vault Crypto Officer: Perform any action on the keys of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CryptoOfficer { get; } = new("14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "Key Vault Crypto Officer", "Perform any action on the keys of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"], [], isBuiltIn: true);

    /// <summary>Key Vault Crypto User: Perform cryptographic operations using keys. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CryptoUser { get; } = new("12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User", "Perform cryptographic operations using keys. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action", "Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/encrypt/action", "Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action", "Microsoft.KeyVault/vaults/keys/verify/action"], [], isBuiltIn: true);

    /// <summary>Key Vault Crypto Service Encryption User: Read metadata of keys and perform wrap/unwrap operations. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CryptoServiceEncryptionUser { get; } = new("e147488a-f6f5-4113-8e2d-b22465e65bf6", "Key Vault Crypto Service Encryption User", "Read metadata of keys and perform wrap/unwrap operations. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action"], [], isBuiltIn: true);

    /// <summary>Key Vault Crypto Service Release User: Release keys. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CryptoServiceReleaseUser { get; } = new("08bbd89e-9f13-488c-ac41-acfcb10c90ab", "Key Vault Crypto Service Release User", "Release keys. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/keys/release/action"], [], isBuiltIn: true);

    /// <summary>Key Vault Certificates Officer: Perform any action on the certificates of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CertificatesOfficer { get; } = new("a4417e6f-fecd-4de8-b567-7b0420556985", "Key Vault Certificates Officer", "Perform any action on the certificates of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/certificatecas/*", "Microsoft.KeyVault/vaults/certificates/*", "Microsoft.KeyVault/vaults/certificatecontacts/write"], [], isBuiltIn: true);

    /// <summary>Key Vault Certificate User: Read certificate contents. Only works for key vaults that use the 'Azure role-based access control' permission model.</summary>
    public static VaultRoleDefinition CertificateUser { get; } = new("db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", "Key Vault Certificate User", "Read certificate contents. Only works for key vaults that use the 'Azure role-based access control' permission model.", ["Microsoft.KeyVault/vaults/certificates/read", "Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action", "Microsoft.KeyVault/vaults/keys/read"], [], isBuiltIn: true);

    /// <summary>Key Vault Data Access Administrator: Manage access to Azure Key Vault by adding or removing role assignments for the Key Vault Administrator, Key Vault Certificates Officer, Key Vault Crypto Officer, Key Vault Crypto Service Encryption User, Key Vault Crypto User, Key Vault Reader, Key Vault Secrets Officer, or Key Vault Secrets User roles. Includes an ABAC condition to constrain role assignments.</summary>
    public static VaultRoleDefinition DataAccessAdministrator { get; } = new("8b54135c-b56d-4d72-a534-26097cfdc8d8", "Key Vault Data Access Administrator", "Manage access to Azure Key Vault by adding or removing role assignments for the Key Vault Administrator, Key Vault Certificates Officer, Key Vault Crypto Officer, Key Vault Crypto Service Encryption User, Key Vault Crypto User, Key Vault Reader, Key Vault Secrets Officer, or Key Vault Secrets User roles. Includes an ABAC condition to constrain role assignments.", [], [], isBuiltIn: true);

    /// <summary>Every built-in role.</summary>
    public static IReadOnlyList<VaultRoleDefinition> All { get; } = [Administrator, Reader, SecretsOfficer, SecretsUser, CryptoOfficer, CryptoUser, CryptoServiceEncryptionUser, CryptoServiceReleaseUser, CertificatesOfficer, CertificateUser, DataAccessAdministrator];

    /// <summary>The roles Data Access Administrator may assign and remove (its ABAC condition in Azure).</summary>
    internal static IReadOnlySet<string> DataAccessAdministratorAssignable { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "00482a5a-887f-4fb3-b363-3b7fe8e74483", "a4417e6f-fecd-4de8-b567-7b0420556985", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "e147488a-f6f5-4113-8e2d-b22465e65bf6", "12338af0-0e69-4776-bea7-57ae8d297424", "21090545-7ca7-4776-b22c-e363652d74d2", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "4633458b-17de-408a-b874-0445c86b69e6" };
}
