namespace KeyVault.Embedded;

/// <summary>How <see cref="EmbeddedVault.RestoreAsync(string, EmbeddedVaultOptions, VaultRestoreOptions?, IProgress{VaultProgress}?, CancellationToken)"/> treats what is there already.</summary>
public sealed class VaultRestoreOptions
{
    /// <summary>
    /// Whether the restore may take over a rollback anchor that already records this vault (the usual case after losing
    /// the vault: its anchor survived it). Default false: such a restore is refused with <c>RollbackDetected</c>, because
    /// the vault the anchor protects may still be in use, and if the restored copy took over its anchor an old copy of
    /// it could open. Set it only when that vault is gone for good: the restored vault is that vault (it keeps its id),
    /// and the two must never run side by side. Another vault's anchor is never taken over.
    /// </summary>
    public bool ReplaceExistingAnchor { get; set; }
}
