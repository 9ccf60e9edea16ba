namespace KeyVault.Embedded.Access;

/// <summary>
/// Azure's legacy access policy: what one principal (or group) may do with keys, secrets and certificates, as
/// permission names (<c>get</c>, <c>list</c>, <c>set</c>, <c>wrapKey</c>, <c>managecontacts</c>... or <c>all</c>).
/// Used when the vault's mode is <see cref="VaultAuthorizationMode.AccessPolicy"/>; a vault holds at most 1,024.
/// </summary>
public sealed class VaultAccessPolicy
{
    /// <summary>The permissions Azure defines for keys.</summary>
    public static IReadOnlyList<string> KeyPermissions { get; } =
        ["all", "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt", "unwrapKey", "wrapKey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy"];

    /// <summary>The permissions Azure defines for secrets.</summary>
    public static IReadOnlyList<string> SecretPermissions { get; } = ["all", "get", "list", "set", "delete", "recover", "backup", "restore", "purge"];

    /// <summary>The permissions Azure defines for certificates.</summary>
    public static IReadOnlyList<string> CertificatePermissions { get; } =
        ["all", "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "managecontacts", "manageissuers", "getissuers", "listissuers", "setissuers", "deleteissuers", "purge"];

    /// <summary>Creates an access policy.</summary>
    /// <param name="objectId">The principal's (or group's) object id.</param>
    /// <param name="keys">Permissions for keys.</param>
    /// <param name="secrets">Permissions for secrets.</param>
    /// <param name="certificates">Permissions for certificates.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> naming a permission Azure does not define.</exception>
    public VaultAccessPolicy(string objectId, IEnumerable<string>? keys = null, IEnumerable<string>? secrets = null, IEnumerable<string>? certificates = null)
    {
        if (string.IsNullOrWhiteSpace(objectId) || objectId.Length > 256)
        {
            throw VaultErrors.BadParameter("VaultAccessPolicy.ObjectId must be 1 to 256 characters.");
        }

        ObjectId = objectId;
        Keys = Validate(keys, KeyPermissions, "keys");
        Secrets = Validate(secrets, SecretPermissions, "secrets");
        Certificates = Validate(certificates, CertificatePermissions, "certificates");
    }

    /// <summary>The principal's or group's object id.</summary>
    public string ObjectId { get; }

    /// <summary>Permissions for keys.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Permissions for secrets.</summary>
    public IReadOnlyList<string> Secrets { get; }

    /// <summary>Permissions for certificates.</summary>
    public IReadOnlyList<string> Certificates { get; }

    /// <inheritdoc/>
    public override string ToString() => $"VaultAccessPolicy {{ {ObjectId}: keys [{string.Join(", ", Keys)}], secrets [{string.Join(", ", Secrets)}], certificates [{string.Join(", ", Certificates)}] }}";

    internal bool Grants(Lifecycle.ObjectType type, string permission)
    {
        var granted = type switch
        {
            Lifecycle.ObjectType.Key => Keys,
            Lifecycle.ObjectType.Secret => Secrets,
            _ => Certificates,
        };
        return granted.Any(p => p.Equals("all", StringComparison.OrdinalIgnoreCase) || p.Equals(permission, StringComparison.OrdinalIgnoreCase)
            || (permission is "getissuers" or "listissuers" or "setissuers" or "deleteissuers" && p.Equals("manageissuers", StringComparison.OrdinalIgnoreCase)));
    }

    private static string[] Validate(IEnumerable<string>? permissions, IReadOnlyList<string> allowed, string field)
    {
        var list = (permissions ?? []).ToArray();
        foreach (var permission in list)
        {
            if (!allowed.Contains(permission, StringComparer.OrdinalIgnoreCase))
            {
                throw VaultErrors.BadParameter($"VaultAccessPolicy: '{permission}' is not a permission for {field}; Azure defines {string.Join(", ", allowed)}.");
            }
        }

        return [.. list.Select(p => allowed.First(a => a.Equals(p, StringComparison.OrdinalIgnoreCase))).Distinct(StringComparer.Ordinal)];
    }
}
