namespace KeyVault.Embedded.Access;

/// <summary>How the vault decides who may do what (Azure's <c>enableRbacAuthorization</c> switch, plus off).</summary>
public enum VaultAuthorizationMode
{
    /// <summary>No access control: every caller may do everything (the application is the only principal). The default.</summary>
    None,

    /// <summary>Azure role-based access control: role definitions, scopes and role assignments.</summary>
    Rbac,

    /// <summary>Azure's legacy access policies: permissions per principal for keys, secrets and certificates.</summary>
    AccessPolicy,
}
