using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Keys;

/// <summary>Builds key and cryptography models with service-owned fields set, so tests of code that uses the vault can fake results.</summary>
public static class KeyModelFactory
{
    /// <summary>Creates <see cref="Keys.KeyProperties"/>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version id.</param>
    /// <param name="vaultUri">The vault's identifier.</param>
    /// <param name="enabled">Whether the version is enabled.</param>
    /// <param name="notBefore">When it becomes valid.</param>
    /// <param name="expiresOn">When it expires.</param>
    /// <param name="createdOn">When it was created.</param>
    /// <param name="updatedOn">When it last changed.</param>
    /// <param name="recoveryLevel">The recovery level.</param>
    /// <param name="recoverableDays">The retention in days.</param>
    /// <returns>The properties.</returns>
    public static KeyProperties KeyProperties(
        string name,
        string? version = null,
        Uri? vaultUri = null,
        bool? enabled = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expiresOn = null,
        DateTimeOffset? createdOn = null,
        DateTimeOffset? updatedOn = null,
        string? recoveryLevel = null,
        int? recoverableDays = null) => new(name)
        {
            Version = version,
            VaultUri = vaultUri,
            Enabled = enabled,
            NotBefore = notBefore,
            ExpiresOn = expiresOn,
            CreatedOn = createdOn,
            UpdatedOn = updatedOn,
            RecoveryLevel = recoveryLevel,
            RecoverableDays = recoverableDays,
        };

    /// <summary>Creates a <see cref="Keys.KeyVaultKey"/>.</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="key">The public key.</param>
    /// <returns>The key.</returns>
    public static KeyVaultKey KeyVaultKey(KeyProperties properties, JsonWebKey key) => new(key, properties);

    /// <summary>Creates a <see cref="Keys.DeletedKey"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="recoveryId">The deleted key's identifier.</param>
    /// <param name="deletedOn">When it was deleted.</param>
    /// <param name="scheduledPurgeDate">When it will be purged.</param>
    /// <returns>The deleted key.</returns>
    public static DeletedKey DeletedKey(KeyVaultKey key, Uri recoveryId, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeDate) =>
        new(key, recoveryId, deletedOn, scheduledPurgeDate);

    /// <summary>Creates an <see cref="Cryptography.EncryptResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="ciphertext">The ciphertext.</param>
    /// <param name="iv">The IV.</param>
    /// <param name="authenticationTag">The tag.</param>
    /// <param name="additionalAuthenticatedData">The additional data.</param>
    /// <returns>The result.</returns>
    public static EncryptResult EncryptResult(string? keyId, EncryptionAlgorithm algorithm, byte[] ciphertext, byte[]? iv = null, byte[]? authenticationTag = null, byte[]? additionalAuthenticatedData = null) =>
        new(keyId, algorithm, ciphertext, iv, authenticationTag, additionalAuthenticatedData);

    /// <summary>Creates a <see cref="Cryptography.DecryptResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="plaintext">The plaintext.</param>
    /// <returns>The result.</returns>
    public static DecryptResult DecryptResult(string? keyId, EncryptionAlgorithm algorithm, byte[] plaintext) => new(keyId, algorithm, plaintext);

    /// <summary>Creates a <see cref="Cryptography.SignResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="signature">The signature.</param>
    /// <returns>The result.</returns>
    public static SignResult SignResult(string? keyId, SignatureAlgorithm algorithm, byte[] signature) => new(keyId, algorithm, signature);

    /// <summary>Creates a <see cref="Cryptography.VerifyResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="isValid">Whether the signature was valid.</param>
    /// <returns>The result.</returns>
    public static VerifyResult VerifyResult(string? keyId, SignatureAlgorithm algorithm, bool isValid) => new(keyId, algorithm, isValid);

    /// <summary>Creates a <see cref="Cryptography.WrapResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="encryptedKey">The wrapped key.</param>
    /// <returns>The result.</returns>
    public static WrapResult WrapResult(string? keyId, KeyWrapAlgorithm algorithm, byte[] encryptedKey) => new(keyId, algorithm, encryptedKey);

    /// <summary>Creates an <see cref="Cryptography.UnwrapResult"/>.</summary>
    /// <param name="keyId">The key version's identifier.</param>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="key">The unwrapped key.</param>
    /// <returns>The result.</returns>
    public static UnwrapResult UnwrapResult(string? keyId, KeyWrapAlgorithm algorithm, byte[] key) => new(keyId, algorithm, key);
}
