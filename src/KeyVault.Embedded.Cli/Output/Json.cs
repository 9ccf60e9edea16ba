using System.Text.Json;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;

namespace KeyVault.Embedded.Cli.Output;

/// <summary>
/// The JSON shape of each result: camelCase, Azure's field names, flat (so that table and tsv show the useful fields),
/// dates in ISO 8601, binary in base64 (JSON Web Keys in base64url, as JOSE says).
/// </summary>
internal static class Json
{
    public static JsonObject Properties(VaultObjectProperties properties)
    {
        var result = new JsonObject
        {
            ["name"] = properties.Name,
            ["version"] = properties.Version,
            ["id"] = properties.Id?.ToString(),
            ["enabled"] = properties.Enabled,
        };
        if (properties is SecretProperties secret)
        {
            result["contentType"] = secret.ContentType;
        }

        result["createdOn"] = Date(properties.CreatedOn);
        result["updatedOn"] = Date(properties.UpdatedOn);
        result["notBefore"] = Date(properties.NotBefore);
        result["expiresOn"] = Date(properties.ExpiresOn);
        result["managed"] = properties.Managed;
        result["recoveryLevel"] = properties.RecoveryLevel;
        result["recoverableDays"] = properties.RecoverableDays;
        result["tags"] = Tags(properties.Tags);
        return result;
    }

    public static JsonObject Secret(KeyVaultSecret secret, bool includeValue)
    {
        var result = Properties(secret.Properties);
        if (secret is DeletedSecret deleted)
        {
            Deleted(result, deleted.RecoveryId, deleted.DeletedOn, deleted.ScheduledPurgeDate);
        }

        if (includeValue)
        {
            result["value"] = secret.Value;
        }

        return result;
    }

    public static JsonObject Key(KeyVaultKey key)
    {
        var result = Properties(key.Properties);
        result["kty"] = key.KeyType.ToString();
        result["keyOps"] = new JsonArray(key.KeyOperations.Select(o => (JsonNode?)o.ToString()).ToArray());
        if (key is DeletedKey deleted)
        {
            Deleted(result, deleted.RecoveryId, deleted.DeletedOn, deleted.ScheduledPurgeDate);
        }

        // Public part only: the store never returns private or symmetric material.
        result["key"] = key.Key is null ? null : JsonSerializer.SerializeToNode(key.Key, JsonWebKeyJsonContext.Default.JsonWebKey);
        return result;
    }

    public static JsonObject RotationPolicy(string name, KeyRotationPolicy policy) => new()
    {
        ["name"] = name,
        ["expiresIn"] = policy.ExpiresIn,
        ["createdOn"] = Date(policy.CreatedOn),
        ["updatedOn"] = Date(policy.UpdatedOn),
        ["lifetimeActions"] = new JsonArray(policy.LifetimeActions.Select(a => (JsonNode?)new JsonObject
        {
            ["action"] = a.Action.ToString(),
            ["timeAfterCreate"] = a.TimeAfterCreate,
            ["timeBeforeExpiry"] = a.TimeBeforeExpiry,
        }).ToArray()),
    };

    public static JsonObject RoleAssignment(VaultRoleAssignment assignment) => new()
    {
        ["name"] = assignment.Name,
        ["principalId"] = assignment.PrincipalId,
        ["roleDefinitionId"] = assignment.RoleDefinitionId,
        ["scope"] = assignment.Scope.Value,
    };

    public static JsonObject RoleDefinition(VaultRoleDefinition definition) => new()
    {
        ["id"] = definition.Id,
        ["roleName"] = definition.RoleName,
        ["description"] = definition.Description,
        ["isBuiltIn"] = definition.IsBuiltIn,
        ["dataActions"] = new JsonArray(definition.DataActions.Select(a => (JsonNode?)a).ToArray()),
        ["notDataActions"] = new JsonArray(definition.NotDataActions.Select(a => (JsonNode?)a).ToArray()),
    };

    public static JsonObject Vault(VaultProperties properties, string location) => new()
    {
        ["location"] = location,
        ["vaultId"] = properties.VaultId.ToString(),
        ["vaultUri"] = properties.VaultUri?.ToString(),
        ["createdOn"] = Date(properties.CreatedOn),
        ["softDeleteRetentionDays"] = properties.SoftDeleteRetentionDays,
        ["purgeProtectionEnabled"] = properties.PurgeProtectionEnabled,
        ["rootKind"] = properties.RootKind,
        ["keyEncryptionKeyVersion"] = properties.KeyEncryptionKeyVersion,
    };

    public static JsonObject BackupVerification(VaultBackupVerification v) => new()
    {
        ["vaultId"] = v.VaultId.ToString(),
        ["createdOn"] = Date(v.CreatedOn),
        ["generation"] = v.Generation,
        ["recordCount"] = v.RecordCount,
        ["bytes"] = v.Bytes,
        ["secrets"] = v.Secrets,
        ["keys"] = v.Keys,
        ["certificates"] = v.Certificates,
        ["certificateOperations"] = v.CertificateOperations,
        ["deleted"] = v.Deleted,
        ["versions"] = v.Versions,
        ["settings"] = v.Settings,
        ["auditRecords"] = v.AuditRecords,
    };

    public static JsonObject Crypto(string? keyId, string algorithm) => new()
    {
        ["kid"] = keyId,
        ["algorithm"] = algorithm,
    };

    public static JsonObject Encrypt(EncryptResult result)
    {
        var json = Crypto(result.KeyId, result.Algorithm.ToString());
        json["result"] = Base64(result.Ciphertext);
        json["iv"] = Base64(result.Iv);
        json["authenticationTag"] = Base64(result.AuthenticationTag);
        json["additionalAuthenticatedData"] = Base64(result.AdditionalAuthenticatedData);
        return json;
    }

    public static string? Base64(byte[]? bytes) => bytes is null ? null : Convert.ToBase64String(bytes);

    public static string? Date(DateTimeOffset? date) => date?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Tags(IDictionary<string, string> tags)
    {
        var result = new JsonObject();
        foreach (var (name, value) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            result[name] = value;
        }

        return result;
    }

    private static void Deleted(JsonObject result, Uri? recoveryId, DateTimeOffset? deletedOn, DateTimeOffset? scheduledPurgeDate)
    {
        result["recoveryId"] = recoveryId?.ToString();
        result["deletedOn"] = Date(deletedOn);
        result["scheduledPurgeDate"] = Date(scheduledPurgeDate);
    }
}
