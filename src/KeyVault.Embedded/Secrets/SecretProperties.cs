namespace KeyVault.Embedded.Secrets;

/// <summary>
/// The properties of one secret version: everything but its value. Returned by every secret operation;
/// passed to <see cref="ISecretStore.UpdateSecretPropertiesAsync"/> to change the settable ones.
/// </summary>
/// <remarks>
/// Service-owned fields (<see cref="Version"/>, <see cref="Id"/>, dates, recovery level) have no public setter,
/// as in the Azure SDK; <see cref="SecretModelFactory"/> builds instances for tests.
/// </remarks>
public sealed class SecretProperties
{
    private Dictionary<string, string>? _tags;
    private IReadOnlyDictionary<string, string>? _storedTags;
    private Uri? _id;

    /// <summary>Creates properties for the secret <paramref name="name"/> (its latest version unless a version is set by the vault).</summary>
    /// <param name="name">The secret's name; the vault checks it against Azure's naming rule when it is used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public SecretProperties(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The secret's name, as given when it was first set.</summary>
    public string Name { get; }

    /// <summary>The version id: 32 lowercase hexadecimal characters.</summary>
    public string? Version { get; internal set; }

    /// <summary>The version's identifier: <c>embeddedvault://{vault id}/secrets/{name}/{version}</c>.</summary>
    public Uri? Id
    {
        get => _id ??= VaultUri is not null && Version is not null ? new Uri(VaultUri, $"secrets/{Name}/{Version}") : null;
        internal set => _id = value;
    }

    /// <summary>The vault's identifier: <c>embeddedvault://{vault id}/</c>.</summary>
    public Uri? VaultUri { get; internal set; }

    /// <summary>Whether the version can be read. A disabled version's value cannot be read. Null leaves it unchanged on update.</summary>
    public bool? Enabled { get; set; }

    /// <summary>When the version becomes valid. Informational, as in Azure: a version is still readable before it.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>When the version expires. Informational, as in Azure: an expired version is still readable.</summary>
    public DateTimeOffset? ExpiresOn { get; set; }

    /// <summary>A hint of what the value holds (at most 255 characters). Null leaves it unchanged on update.</summary>
    public string? ContentType { get; set; }

    /// <summary>
    /// Up to 15 tags, names and values at most 256 characters. On update, the tags replace the stored ones when
    /// this dictionary has been accessed (on properties read from the vault it starts with the stored tags).
    /// </summary>
    public IDictionary<string, string> Tags => _tags ??= _storedTags is null
        ? new Dictionary<string, string>(StringComparer.Ordinal)
        : new Dictionary<string, string>(_storedTags, StringComparer.Ordinal);

    /// <summary>When the version was created.</summary>
    public DateTimeOffset? CreatedOn { get; internal set; }

    /// <summary>When the version's properties last changed.</summary>
    public DateTimeOffset? UpdatedOn { get; internal set; }

    /// <summary>
    /// Azure's deletion recovery level: <c>Recoverable+Purgeable</c>, <c>Recoverable</c> (purge protection on),
    /// or their <c>CustomizedRecoverable</c> forms when retention is shorter than 90 days.
    /// </summary>
    public string? RecoveryLevel { get; internal set; }

    /// <summary>The vault's soft-delete retention, in days.</summary>
    public int? RecoverableDays { get; internal set; }

    /// <summary>True when the secret is managed by a certificate and read-only through the secret store.</summary>
    public bool Managed { get; internal set; }

    internal bool TagsTouched => _tags is not null;

    internal IReadOnlyDictionary<string, string>? TagsOrNull => _tags;

    /// <summary>The tags as stored; <see cref="Tags"/> copies them on first access (reads allocate no dictionary otherwise).</summary>
    internal IReadOnlyDictionary<string, string>? StoredTags
    {
        set => _storedTags = value;
    }

    /// <summary>Name and version; never a value.</summary>
    public override string ToString() => $"SecretProperties {{ Name = {Name}, Version = {Version}, Enabled = {Enabled} }}";
}
