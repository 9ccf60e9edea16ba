namespace KeyVault.Embedded.Events;

/// <summary>
/// One change or notice about a vault object. Carries names, versions and dates only: never a value or key material.
/// </summary>
public sealed class VaultEvent
{
    internal VaultEvent(VaultEventType eventType, VaultObjectKind objectKind, string name, string? version, Uri vaultUri, DateTimeOffset time, DateTimeOffset? expiresOn = null)
    {
        EventType = eventType;
        ObjectKind = objectKind;
        Name = name;
        Version = version;
        Time = time;
        ExpiresOn = expiresOn;
        Id = new Uri(vaultUri, version is null ? $"{Segment(objectKind)}/{name}" : $"{Segment(objectKind)}/{name}/{version}");
    }

    /// <summary>What happened.</summary>
    public VaultEventType EventType { get; }

    /// <summary>The kind of object.</summary>
    public VaultObjectKind ObjectKind { get; }

    /// <summary>The object's name.</summary>
    public string Name { get; }

    /// <summary>The version concerned, when the event is about one (new version, update, expiry).</summary>
    public string? Version { get; }

    /// <summary>The object's (or version's) identifier.</summary>
    public Uri Id { get; }

    /// <summary>When it happened, on the vault's clock.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>For <see cref="VaultEventType.NearExpiry"/> and <see cref="VaultEventType.Expired"/>: the version's expiry.</summary>
    public DateTimeOffset? ExpiresOn { get; }

    /// <summary>Azure Event Grid's name for this event, for example <c>Microsoft.KeyVault.SecretNewVersionCreated</c>.</summary>
    public string AzureEventType => $"Microsoft.KeyVault.{ObjectKind}{EventType switch
    {
        VaultEventType.NewVersion => "NewVersionCreated",
        _ => EventType.ToString(),
    }}";

    /// <inheritdoc />
    public override string ToString() => $"VaultEvent {{ {EventType} {ObjectKind} {Name}{(Version is null ? string.Empty : "/" + Version)} at {Time:u} }}";

    private static string Segment(VaultObjectKind kind) => kind switch
    {
        VaultObjectKind.Secret => "secrets",
        VaultObjectKind.Key => "keys",
        _ => "certificates",
    };
}
