namespace KeyVault.Embedded.Configuration;

/// <summary>How <c>builder.Configuration.AddEmbeddedVault(...)</c> turns a vault's secrets into configuration.</summary>
public sealed class EmbeddedVaultConfigurationOptions
{
    /// <summary>
    /// How to open the vault (path, root). Bound from the configuration's <c>EmbeddedVault</c> section when the
    /// builder already holds one, so one section serves both this and <c>services.AddEmbeddedVault</c>. When the app's
    /// services open the same file, both share one open vault (the first to open it decides its root and clock).
    /// </summary>
    public EmbeddedVaultOptions Vault { get; set; } = new();

    /// <summary>
    /// Loads only secrets whose name starts with this (ignoring case), and strips it from the key: with
    /// <c>WebApp--</c>, the secret <c>WebApp--ConnectionStrings--Db</c> becomes <c>ConnectionStrings:Db</c>. Null: all.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// Leaves out secrets whose current version has expired (<c>ExpiresOn</c> passed on the vault's clock). Default
    /// false, as Azure's provider: the background service logs and raises expiry events instead.
    /// </summary>
    public bool ExcludeExpired { get; set; }

    /// <summary>
    /// Keeps the vault open for the configuration's lifetime and reloads when a secret changes through this process
    /// (a change token fires). Default true. Ignored when <see cref="ReloadInterval"/> is set.
    /// </summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>
    /// Polls instead: the vault is opened only to load (so another process can own the file between loads), and
    /// reloaded every interval on the vault's <see cref="TimeProvider"/>. The change token fires only when a value
    /// changed. Null (default): no polling.
    /// </summary>
    public TimeSpan? ReloadInterval { get; set; }

    /// <summary>
    /// Called when a reload fails (the previous values stay). The failure is also logged
    /// (<see cref="Diagnostics.VaultLogEvents.ConfigurationReloadFailed"/>). A failure of the first load is thrown.
    /// </summary>
    public Action<Exception>? OnReloadFailure { get; set; }

    /// <summary>
    /// Who the configuration provider reads as, for access control (it needs Key Vault Secrets User on the secrets it
    /// loads). Default: <see cref="Access.VaultPrincipal.Application"/>.
    /// </summary>
    public Access.VaultPrincipal? Principal { get; set; }
}
