namespace KeyVault.Embedded.Secrets;

/// <summary>Builds secret models with service-owned fields set, so tests of code that uses the vault can fake results.</summary>
public static class SecretModelFactory
{
    /// <summary>Creates <see cref="Secrets.SecretProperties"/> with every field set.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version id.</param>
    /// <param name="id">The version's identifier.</param>
    /// <param name="vaultUri">The vault's identifier.</param>
    /// <param name="enabled">Whether the version is enabled.</param>
    /// <param name="notBefore">When the version becomes valid.</param>
    /// <param name="expiresOn">When the version expires.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="createdOn">When the version was created.</param>
    /// <param name="updatedOn">When the version last changed.</param>
    /// <param name="recoveryLevel">The recovery level.</param>
    /// <param name="recoverableDays">The retention in days.</param>
    /// <param name="managed">Whether a certificate manages the secret.</param>
    /// <returns>The properties.</returns>
    public static SecretProperties SecretProperties(
        string name,
        string? version = null,
        Uri? id = null,
        Uri? vaultUri = null,
        bool? enabled = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expiresOn = null,
        string? contentType = null,
        DateTimeOffset? createdOn = null,
        DateTimeOffset? updatedOn = null,
        string? recoveryLevel = null,
        int? recoverableDays = null,
        bool managed = false) => new(name)
        {
            Version = version,
            Id = id,
            VaultUri = vaultUri,
            Enabled = enabled,
            NotBefore = notBefore,
            ExpiresOn = expiresOn,
            ContentType = contentType,
            CreatedOn = createdOn,
            UpdatedOn = updatedOn,
            RecoveryLevel = recoveryLevel,
            RecoverableDays = recoverableDays,
            Managed = managed,
        };

    /// <summary>Creates a <see cref="Secrets.KeyVaultSecret"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="value">The value.</param>
    /// <returns>The secret.</returns>
    public static KeyVaultSecret KeyVaultSecret(SecretProperties properties, string value) => new(properties, value);

    /// <summary>Creates a <see cref="Secrets.DeletedSecret"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="recoveryId">The deleted secret's identifier.</param>
    /// <param name="deletedOn">When it was deleted.</param>
    /// <param name="scheduledPurgeDate">When it will be purged.</param>
    /// <returns>The deleted secret.</returns>
    public static DeletedSecret DeletedSecret(SecretProperties properties, Uri recoveryId, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeDate) =>
        new(properties, recoveryId, deletedOn, scheduledPurgeDate);
}
