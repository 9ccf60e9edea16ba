namespace KeyVault.Embedded.Access;

/// <summary>
/// Who calls the vault: a user, an application, a service or a group, named by its object id (as Entra ID's
/// <c>oid</c>), with the groups it belongs to. Role assignments and access policies name principals by object id.
/// </summary>
public sealed class VaultPrincipal
{
    /// <summary>Creates a principal.</summary>
    /// <param name="objectId">The object id (a GUID or any stable string), compared case-insensitively.</param>
    /// <param name="displayName">A name for messages and audit; defaults to the object id.</param>
    /// <param name="kind">What the principal is.</param>
    /// <param name="groups">The object ids of the groups it belongs to: their assignments apply to it too.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> when <paramref name="objectId"/> is empty or longer than 256 characters.</exception>
    public VaultPrincipal(string objectId, string? displayName = null, VaultPrincipalKind kind = VaultPrincipalKind.User, IEnumerable<string>? groups = null)
    {
        if (string.IsNullOrWhiteSpace(objectId) || objectId.Length > 256)
        {
            throw VaultErrors.BadParameter("VaultPrincipal.ObjectId must be 1 to 256 characters.");
        }

        ObjectId = objectId;
        DisplayName = string.IsNullOrWhiteSpace(displayName) ? objectId : displayName;
        Kind = kind;
        Groups = [.. (groups ?? []).Where(g => !string.IsNullOrWhiteSpace(g)).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// The application itself: the caller when no other is set. While access control is off it may do everything;
    /// once on, it has what is assigned to the object id <c>application</c>.
    /// </summary>
    public static VaultPrincipal Application { get; } = new("application", "the application", VaultPrincipalKind.Application);

    /// <summary>The object id.</summary>
    public string ObjectId { get; }

    /// <summary>The name used in messages and audit records.</summary>
    public string DisplayName { get; }

    /// <summary>What the principal is.</summary>
    public VaultPrincipalKind Kind { get; }

    /// <summary>The object ids of the groups the principal belongs to.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <inheritdoc/>
    public override string ToString() => $"VaultPrincipal {{ {Kind} {DisplayName} ({ObjectId}) }}";
}
