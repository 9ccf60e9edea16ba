namespace KeyVault.Embedded.Access;

/// <summary>
/// Tells the vault who is calling. The host sets one (<see cref="EmbeddedVaultOptions.CallerAccessor"/>); the vault
/// asks it at the start of every operation. <see cref="EmbeddedVault.RunAs"/> overrides it for a scope of code.
/// </summary>
public interface IVaultCallerAccessor
{
    /// <summary>The current caller, or null for the application itself (<see cref="VaultPrincipal.Application"/>).</summary>
    /// <returns>The caller.</returns>
    VaultPrincipal? GetCaller();

    /// <summary>The current caller's IP address, for the audit trail's <c>callerIpAddress</c>; null when there is none.</summary>
    /// <returns>The address.</returns>
    string? GetCallerIpAddress() => null;

    /// <summary>The current caller's client (a user agent), for the audit trail's <c>clientInfo</c>; null when unknown.</summary>
    /// <returns>The client.</returns>
    string? GetClientInfo() => null;
}
