namespace KeyVault.Embedded.Secrets;

/// <summary>
/// Builds secret models with service-owned fields set, so tests of code that uses the vault can fake results; the
/// methods and parameters are the Azure SDK's.
/// </summary>
public static class SecretModelFactory
{
    /// <summary>Creates <see cref="Secrets.SecretProperties"/> with the service-owned fields set.</summary>
    /// <param name="id">The version's identifier.</param>
    /// <param name="vaultUri">The vault's identifier.</param>
    /// <param name="name">The name.</param>
    /// <param name="version">The version id.</param>
    /// <param name="managed">Whether a certificate manages the secret.</param>
    /// <param name="keyId">For a certificate's secret, its key's identifier.</param>
    /// <param name="createdOn">When the version was created.</param>
    /// <param name="updatedOn">When the version last changed.</param>
    /// <param name="recoveryLevel">The recovery level.</param>
    /// <param name="recoverableDays">The retention in days.</param>
    /// <param name="previousVersion">The previous certificate version.</param>
    /// <returns>The properties.</returns>
    public static SecretProperties SecretProperties(
        Uri? id = null,
        Uri? vaultUri = null,
        string? name = null,
        string? version = null,
        bool managed = false,
        Uri? keyId = null,
        DateTimeOffset? createdOn = null,
        DateTimeOffset? updatedOn = null,
        string? recoveryLevel = null,
        int? recoverableDays = null,
        string? previousVersion = null) => new(name ?? string.Empty)
        {
            Version = version,
            Id = id,
            VaultUri = vaultUri,
            CreatedOn = createdOn,
            UpdatedOn = updatedOn,
            RecoveryLevel = recoveryLevel,
            RecoverableDays = recoverableDays,
            Managed = managed,
            KeyId = keyId,
            PreviousVersion = previousVersion,
        };

    /// <summary>Creates a <see cref="Secrets.KeyVaultSecret"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="value">The value.</param>
    /// <returns>The secret.</returns>
    public static KeyVaultSecret KeyVaultSecret(SecretProperties properties, string? value = null) => new(properties, value ?? string.Empty);

    /// <summary>Creates a <see cref="Secrets.DeletedSecret"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="value">The value (a deleted secret read from the vault has none).</param>
    /// <param name="recoveryId">The deleted secret's identifier.</param>
    /// <param name="deletedOn">When it was deleted.</param>
    /// <param name="scheduledPurgeDate">When it will be purged.</param>
    /// <returns>The deleted secret.</returns>
    public static DeletedSecret DeletedSecret(SecretProperties properties, string? value = null, Uri? recoveryId = null, DateTimeOffset? deletedOn = null, DateTimeOffset? scheduledPurgeDate = null) =>
        new(properties, value, recoveryId, deletedOn, scheduledPurgeDate);
}
