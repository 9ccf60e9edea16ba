using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded;

/// <summary>How to open (or create) a vault.</summary>
public sealed class EmbeddedVaultOptions
{
    /// <summary>The vault's minimum soft-delete retention, in days (Azure's).</summary>
    public const int MinimumRetentionDays = 7;

    /// <summary>The vault's maximum and default soft-delete retention, in days (Azure's).</summary>
    public const int MaximumRetentionDays = 90;

    /// <summary>
    /// The vault file. Created, with its log beside it (<c>name-log.ext</c>), when missing. Required.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// The root of trust as an object: <see cref="SoftwareRootKey"/> or a PKCS#11 root. Give either this or one of
    /// the <see cref="Root"/> settings. The caller keeps ownership (and disposes it after the vault).
    /// </summary>
    public IRootKeyProvider? RootKey { get; set; }

    /// <summary>
    /// The root of trust as settings (what configuration can say: <c>"Root": { "KeyFile": "/etc/app/vault.key" }</c>),
    /// used when <see cref="RootKey"/> is null. The vault reads the key at open and zeroes its copy.
    /// </summary>
    public RootKeySettings Root { get; set; } = new();

    /// <summary>
    /// How many days a deleted object stays recoverable: 7 to 90, default 90. Applies when the vault is created and
    /// is fixed from then on (as in Azure); opening an existing vault ignores it (see <see cref="EmbeddedVault.Properties"/>).
    /// </summary>
    public int SoftDeleteRetentionDays { get; set; } = MaximumRetentionDays;

    /// <summary>
    /// Turns purge protection on: at creation, or at the next open of an existing vault. Once on it can never be
    /// turned off (as in Azure); false never turns it off.
    /// </summary>
    public bool EnablePurgeProtection { get; set; }

    /// <summary>
    /// A rollback anchor file (optional): after every commit the vault records its generation and the root of its
    /// authenticated manifest there (MAC'd, fsynced, replaced atomically), and an open of vault files older than the
    /// anchor fails with <c>RollbackDetected</c>. Put it where whoever can write the vault's folder cannot (another
    /// volume, a path mounted only into this service); an attacker who can roll back both together is not stopped.
    /// With a PKCS#11 root the token can keep the anchor instead (<c>Pkcs11RootKeyOptions.UseTokenAnchor</c>).
    /// </summary>
    public string? AnchorPath { get; set; }

    /// <summary>
    /// Whether an open with no rollback anchor configured may stop anchoring a vault that was anchored (its header says
    /// so). Default false: such an open fails with <c>RollbackDetected</c>, because a vault opened without its anchor
    /// cannot tell an older copy of its files from the latest, and the open would take the older copy up for good. Set it
    /// for one open to take up an older copy deliberately, or to move the anchor: that open records that the vault is
    /// no longer anchored, and the next open with an anchor seeds a new one.
    /// </summary>
    public bool DropRollbackAnchor { get; set; }

    /// <summary>
    /// Whether a vault file of format 1 (written by the first release) is upgraded to format 2 in place at open: one
    /// transaction, so a crash leaves the old file or the new one, whole. Default true. When false, such a file is
    /// refused with <c>VaultFormatInvalid</c>, naming this option.
    /// </summary>
    public bool AllowFormatUpgrade { get; set; } = true;

    /// <summary>
    /// Tells the vault who calls each operation, when access control is on (<see cref="Access.IVaultAccessControl"/>).
    /// Null: the caller is <see cref="Access.VaultPrincipal.Application"/>, unless code runs inside
    /// <see cref="EmbeddedVault.RunAs"/>. ASP.NET Core apps use the current request's user.
    /// </summary>
    public Access.IVaultCallerAccessor? CallerAccessor { get; set; }

    /// <summary>The clock for every date rule (expiry, retention, purge dates). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How many object and version records the vault keeps in memory (still sealed) for fast reads. Default 10,000.
    /// </summary>
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>
    /// The base of every object id (<c>{VaultUri}secrets/{name}/{version}</c>), for ids that look like Azure's, for
    /// example <c>https://myvault.example/</c>. An absolute http or https URI with a path that ends in <c>/</c>, without
    /// query or fragment. Null (the default): <c>embeddedvault://{vault id}/</c>. Only the ids change, never what is stored.
    /// </summary>
    public Uri? VaultUri { get; set; }

    /// <summary>The background service of <c>AddEmbeddedVault</c>: purge, rotation, renewal, expiry notices.</summary>
    public EmbeddedVaultBackgroundOptions Background { get; set; } = new();

    /// <summary>The audit trail: off by default.</summary>
    public Audit.VaultAuditOptions Audit { get; set; } = new();

    /// <summary>
    /// Where the vault logs (category <c>KeyVault.Embedded</c>, event ids in
    /// <see cref="Diagnostics.VaultLogEvents"/>). Null: no logging. <c>AddEmbeddedVault</c> sets the host's.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Creates the vault's meter (<see cref="Diagnostics.EmbeddedVaultDiagnostics.MeterName"/>). Null: a process-wide
    /// meter of that name. <c>AddEmbeddedVault</c> sets the host's.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Every setting that is wrong, by its configuration path (<c>Path</c>, <c>Root:KeyFile</c>...), with the rule it
    /// breaks. Never reads out a key or a variable's value.
    /// </summary>
    internal IEnumerable<(string Setting, string Problem)> Problems()
    {
        if (string.IsNullOrWhiteSpace(Path) && StoreProvider is null)
        {
            yield return ("Path", "is required: the vault file to open or create (or a database: UsePostgreSql with the PostgreSQL package).");
        }
        else if (!string.IsNullOrWhiteSpace(Path) && StoreProvider is not null)
        {
            yield return ("Path", $"names a file, and the vault is in a database ({StoreProvider.Location}): give one of them.");
        }
        else if (Path is { } path && path.Contains('\0', StringComparison.Ordinal))
        {
            yield return ("Path", "holds a NUL character, which no file name can.");
        }
        else if (Path is { } directory && StoreFactory is null && Directory.Exists(directory))
        {
            yield return ("Path", $"is the directory '{System.IO.Path.GetFullPath(directory)}': name the vault file in it.");
        }

        if (VaultUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme is not ("https" or "http") || !uri.AbsolutePath.EndsWith('/') || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0))
        {
            yield return ("VaultUri", "must be an absolute http or https URI whose path ends in '/', without user info, query or fragment (for example https://myvault.example/).");
        }

        var roots = (RootKey is null ? 0 : 1) + (string.IsNullOrWhiteSpace(Root?.KeyFile) ? 0 : 1) + (string.IsNullOrWhiteSpace(Root?.EnvironmentVariable) ? 0 : 1);
        if (roots == 0)
        {
            yield return ("Root", "is required: set Root:KeyFile or Root:EnvironmentVariable, or give a root key object (RootKey; UsePkcs11Root with the PKCS#11 package).");
        }
        else if (roots > 1)
        {
            yield return ("Root", "names more than one root of trust: give exactly one of RootKey, Root:KeyFile and Root:EnvironmentVariable.");
        }
        else if (RootKey is null && !string.IsNullOrWhiteSpace(Root!.KeyFile) && !File.Exists(Root.KeyFile))
        {
            yield return ("Root:KeyFile", $"names '{Root.KeyFile}', which does not exist (create one with SoftwareRootKey.CreateKeyFile).");
        }
        else if (RootKey is null && !string.IsNullOrWhiteSpace(Root!.EnvironmentVariable) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Root.EnvironmentVariable)))
        {
            yield return ("Root:EnvironmentVariable", $"names '{Root.EnvironmentVariable}', which is not set in this process's environment.");
        }

        if (SoftDeleteRetentionDays is < MinimumRetentionDays or > MaximumRetentionDays)
        {
            yield return ("SoftDeleteRetentionDays", $"is {SoftDeleteRetentionDays}: it must be between {MinimumRetentionDays} and {MaximumRetentionDays} days.");
        }

        if (Audit is not null && (Audit.MaxFlushDelay < TimeSpan.FromMilliseconds(10) || Audit.MaxFlushDelay > TimeSpan.FromHours(1)))
        {
            yield return ("Audit:MaxFlushDelay", $"is {Audit.MaxFlushDelay}: it must be between 10 ms and one hour.");
        }

        if (Audit is not null && Audit.RetentionDays is < 0 or > 36_500)
        {
            yield return ("Audit:RetentionDays", $"is {Audit.RetentionDays}: it must be between 0 (keep for ever) and 36500.");
        }

        if (CacheCapacity < 1)
        {
            yield return ("CacheCapacity", $"is {CacheCapacity}: it must be at least 1.");
        }

        if (TimeProvider is null)
        {
            yield return ("TimeProvider", "is required.");
        }

        if (Background is null || Background.Interval < TimeSpan.FromSeconds(1) || Background.Interval > MaximumTimerInterval)
        {
            yield return ("Background:Interval", $"is {Background?.Interval}: it must be between one second and {MaximumTimerInterval.Days} days.");
        }
        else if (Background.NearExpiryWindow < TimeSpan.Zero)
        {
            yield return ("Background:NearExpiryWindow", $"is {Background.NearExpiryWindow}: it cannot be negative.");
        }
    }

    /// <summary>The root provider to open the vault with, and whether the vault created it (and so disposes it).</summary>
    internal (IRootKeyProvider Provider, bool Owned) ResolveRoot() => RootKey is not null
        ? (RootKey, false)
        : !string.IsNullOrWhiteSpace(Root.KeyFile)
            ? (SoftwareRootKey.FromFile(Root.KeyFile), true)
            : (SoftwareRootKey.FromEnvironmentVariable(Root.EnvironmentVariable!), true);

    /// <summary>The longest interval a .NET timer takes (about 49.7 days), rounded down.</summary>
    internal static readonly TimeSpan MaximumTimerInterval = TimeSpan.FromDays(49);

    /// <summary>
    /// Opens to check, never to use (a backup being verified): no rollback anchor is read or written, and the open
    /// commits nothing of its own.
    /// </summary>
    internal bool VerifyOnly { get; set; }

    /// <summary>Where the records live instead of the file at <see cref="Path"/> (a database, set by its package); null: the file.</summary>
    internal Storage.RecordStoreProvider? StoreProvider { get; set; }

    /// <summary>Where the vault is, for messages and for sharing one open vault per place in a process.</summary>
    internal string Location => StoreProvider?.Location ?? Path;

    /// <summary>Test seam: replaces the LiteDB record store (for example with a spy).</summary>
    internal Func<string, IRecordStore>? StoreFactory { get; set; }
}
