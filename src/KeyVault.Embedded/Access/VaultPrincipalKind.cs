namespace KeyVault.Embedded.Access;

/// <summary>What a principal is, as Entra ID tells them apart.</summary>
public enum VaultPrincipalKind
{
    /// <summary>A person.</summary>
    User,

    /// <summary>An application (a client id).</summary>
    Application,

    /// <summary>A service principal or managed identity; also the vault's own background work.</summary>
    Service,

    /// <summary>A group: assignments to it apply to its members.</summary>
    Group,
}
