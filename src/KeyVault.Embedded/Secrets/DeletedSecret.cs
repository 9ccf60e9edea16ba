namespace KeyVault.Embedded.Secrets;

/// <summary>
/// A soft-deleted secret: the properties of its current version and its deletion state. As in Azure it is a
/// <see cref="KeyVaultSecret"/>, and carries no value (<see cref="KeyVaultSecret.Value"/> is null).
/// </summary>
public sealed class DeletedSecret : KeyVaultSecret
{
    internal DeletedSecret(SecretProperties properties, string? value, Uri? recoveryId, DateTimeOffset? deletedOn, DateTimeOffset? scheduledPurgeDate)
        : base(properties, value, deleted: true)
    {
        RecoveryId = recoveryId;
        DeletedOn = deletedOn;
        ScheduledPurgeDate = scheduledPurgeDate;
    }

    /// <summary>The identifier of the deleted secret: <c>{vault}/deletedsecrets/{name}</c>.</summary>
    public Uri? RecoveryId { get; }

    /// <summary>When the secret was deleted.</summary>
    public DateTimeOffset? DeletedOn { get; }

    /// <summary>When the retention ends and the vault purges the secret by itself.</summary>
    public DateTimeOffset? ScheduledPurgeDate { get; }

    /// <summary>Name and deletion dates.</summary>
    /// <returns>A description without the value.</returns>
    public override string ToString() => $"DeletedSecret {{ Name = {Name}, DeletedOn = {DeletedOn:u}, ScheduledPurgeDate = {ScheduledPurgeDate:u} }}";
}
