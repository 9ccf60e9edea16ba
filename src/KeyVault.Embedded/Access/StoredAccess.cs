using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Access;

/// <summary>The vault's access control as stored: one setting record (<c>settings/access</c>), authenticated like every record.</summary>
internal sealed record StoredAccess(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("assignments")] List<StoredAssignment> Assignments,
    [property: JsonPropertyName("roles")] List<StoredRole> Roles,
    [property: JsonPropertyName("policies")] List<StoredPolicy> Policies)
{
    public static StoredAccess Empty { get; } = new(nameof(VaultAuthorizationMode.None), [], [], []);
}

internal sealed record StoredAssignment(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("role")] string RoleDefinitionId,
    [property: JsonPropertyName("principal")] string PrincipalId);

internal sealed record StoredRole(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("dataActions")] List<string> DataActions,
    [property: JsonPropertyName("notDataActions")] List<string> NotDataActions);

internal sealed record StoredPolicy(
    [property: JsonPropertyName("objectId")] string ObjectId,
    [property: JsonPropertyName("keys")] List<string> Keys,
    [property: JsonPropertyName("secrets")] List<string> Secrets,
    [property: JsonPropertyName("certificates")] List<string> Certificates);

[JsonSerializable(typeof(StoredAccess))]
internal sealed partial class AccessJsonContext : JsonSerializerContext
{
}
