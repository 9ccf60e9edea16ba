namespace KeyVault.Embedded.Keys;

/// <summary>
/// A soft-deleted key and its deletion state. As in Azure it is a <see cref="KeyVaultKey"/>: the version that was current
/// when the key was deleted (public key and properties).
/// </summary>
public sealed class DeletedKey : KeyVaultKey
{
    internal DeletedKey(KeyVaultKey key, Uri? recoveryId, DateTimeOffset? deletedOn, DateTimeOffset? scheduledPurgeDate)
        : base(key.Key, key.Properties)
    {
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The identifier of the deleted key: <c>{vault}/deletedkeys/{name}</c>.</summary>
    public Uri? RecoveryId { get; }

    /// <summary>When the key was deleted.</summary>
    public DateTimeOffset? DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges the key by itself.</summary>
    public DateTimeOffset? ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"DeletedKey {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
