namespace KeyVault.Embedded.Secrets;

/// <summary>A soft-deleted secret: the properties of its current version and its deletion state. It carries no value.</summary>
public sealed class DeletedSecret
{
    internal DeletedSecret(SecretProperties properties, Uri recoveryId, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeDate)
    {
        Properties = properties;
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The secret's name.</summary>
    public string Name => Properties.Name;

    /// <summary>The properties of the version that was current when the secret was deleted.</summary>
    public SecretProperties Properties { get; }

    /// <summary>The identifier of the deleted secret: <c>embeddedvault://{vault id}/deletedsecrets/{name}</c>.</summary>
    public Uri RecoveryId { get; }

    /// <summary>When the secret was deleted.</summary>
    public DateTimeOffset DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges the secret by itself.</summary>
    public DateTimeOffset ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    public override string ToString() => $"DeletedSecret {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
