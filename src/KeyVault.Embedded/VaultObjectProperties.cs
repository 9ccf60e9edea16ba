using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded;

/// <summary>
/// The properties every vault object version has (secrets, keys and certificates): identity, Azure's attributes
/// (enabled, notBefore, expiresOn, created, updated, recovery level) and tags.
/// </summary>
/// <remarks>
/// Service-owned fields (<see cref="Version"/>, <see cref="Id"/>, dates, recovery level) have no public setter, as in
/// the Azure SDK; the model factories build instances for tests. Only this library derives from this class.
/// </remarks>
public abstract class VaultObjectProperties
{
    private Dictionary<string, string>? _tags;
    private IReadOnlyDictionary<string, string>? _storedTags;
    private Uri? _id;

    private protected VaultObjectProperties(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The object's name, as given when it was first created.</summary>
    public string Name { get; }

    /// <summary>The version id: 32 lowercase hexadecimal characters.</summary>
    public string? Version { get; internal set; }

    /// <summary>The version's identifier: <c>embeddedvault://{vault id}/{secrets|keys|certificates}/{name}/{version}</c>.</summary>
    public Uri? Id
    {
        get => _id ??= VaultUri is not null && Version is not null ? new Uri(VaultUri, $"{PathSegment}/{Name}/{Version}") : null;
        internal set => _id = value;
    }

    /// <summary>The vault's identifier: <c>embeddedvault://{vault id}/</c>.</summary>
    public Uri? VaultUri { get; internal set; }

    /// <summary>Whether the version can be used. Null leaves it unchanged on update.</summary>
    public bool? Enabled { get; set; }

    /// <summary>When the version becomes valid.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>When the version expires.</summary>
    public DateTimeOffset? ExpiresOn { get; set; }

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

    /// <summary>True when the object is managed by a certificate and read-only through its own store.</summary>
    public bool Managed { get; internal set; }

    internal bool TagsTouched => _tags is not null;

    /// <summary>
    /// The state of the version these properties were read from (<see cref="Records.StoredVersion.Revision"/>), null
    /// for properties made by the caller: an update with them is refused with <c>Conflict</c> when the version has
    /// changed since, so that a read-modify-write never silently undoes another's change. A successful update moves it on.
    /// </summary>
    internal Integrity.RecordHash? Revision { get; set; }

    internal IReadOnlyDictionary<string, string>? TagsOrNull => _tags;

    private protected abstract string PathSegment { get; }

    /// <summary>Type, name and version; never a value.</summary>
    public override string ToString() => $"{GetType().Name} {{ Name = {Name}, Version = {Version}, Enabled = {Enabled} }}";

    /// <summary>Fills the common fields from a stored version.</summary>
    internal void Fill(ObjectVersion version, VaultCore core)
    {
        var attributes = version.Attributes;
        var header = core.Header;
        Version = version.Version;
        VaultUri = core.Uri;
        Enabled = attributes.Enabled;
        NotBefore = RecordAttributes.FromUnix(attributes.NotBefore);
        ExpiresOn = RecordAttributes.FromUnix(attributes.ExpiresOn);
        CreatedOn = RecordAttributes.FromUnix(attributes.Created);
        UpdatedOn = RecordAttributes.FromUnix(attributes.Updated);
        RecoverableDays = header.SoftDeleteRetentionDays;
        RecoveryLevel = RecoveryLevels.For(header.SoftDeleteRetentionDays, header.PurgeProtection);
        _storedTags = attributes.Tags;
        Managed = version.Object.ManagedBy is not null;
        Revision = version.Stored.Revision;
    }

    /// <summary>The common attributes of a new version from these properties (enabled by default).</summary>
    internal RecordAttributes ToNewAttributes() => NewAttributes(Enabled, NotBefore, ExpiresOn, TagsOrNull);

    /// <summary>The common attributes of a new version, checked against the tag and date rules.</summary>
    internal static RecordAttributes NewAttributes(bool? enabled, DateTimeOffset? notBefore, DateTimeOffset? expiresOn, IReadOnlyDictionary<string, string>? tags)
    {
        ObjectRules.ValidateTags(tags);
        ObjectRules.ValidateDates(notBefore, expiresOn);
        return new RecordAttributes
        {
            Enabled = enabled ?? true,
            NotBefore = RecordAttributes.ToUnix(notBefore),
            ExpiresOn = RecordAttributes.ToUnix(expiresOn),
            Tags = CopyTags(tags),
        };
    }

    /// <summary>
    /// Applies these properties to a version's current attributes, as Azure's update does: null fields stay as they
    /// are; tags are replaced when they were touched.
    /// </summary>
    internal RecordAttributes ApplyTo(RecordAttributes current)
    {
        var next = current with
        {
            Enabled = Enabled ?? current.Enabled,
            NotBefore = NotBefore is { } nbf ? RecordAttributes.ToUnix(nbf) : current.NotBefore,
            ExpiresOn = ExpiresOn is { } exp ? RecordAttributes.ToUnix(exp) : current.ExpiresOn,
            Tags = TagsTouched ? CopyTags(TagsOrNull) : current.Tags,
        };
        ObjectRules.ValidateDates(RecordAttributes.FromUnix(next.NotBefore), RecordAttributes.FromUnix(next.ExpiresOn));
        return next;
    }

    private static Dictionary<string, string>? CopyTags(IReadOnlyDictionary<string, string>? tags) =>
        tags is null || tags.Count == 0 ? null : new Dictionary<string, string>(tags, StringComparer.Ordinal);
}
