namespace KeyVault.Embedded.Keys;

/// <summary>A soft-deleted key: its current version's public key and properties, and its deletion state.</summary>
public sealed class DeletedKey
{
    internal DeletedKey(KeyVaultKey key, Uri recoveryId, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeDate)
    {
        Key = key;
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The key's name.</summary>
    public string Name => Key.Name;

    /// <summary>The version that was current when the key was deleted (public key and properties).</summary>
    public KeyVaultKey Key { get; }

    /// <summary>The properties of that version.</summary>
    public KeyProperties Properties => Key.Properties;

    /// <summary>The identifier of the deleted key: <c>embeddedvault://{vault id}/deletedkeys/{name}</c>.</summary>
    public Uri RecoveryId { get; }

    /// <summary>When the key was deleted.</summary>
    public DateTimeOffset DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges the key by itself.</summary>
    public DateTimeOffset ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    public override string ToString() => $"DeletedKey {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
