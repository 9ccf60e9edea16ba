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
}
