namespace KeyVault.Embedded.Lifecycle;

/// <summary>The kinds of object that share the lifecycle core (versions, soft delete, recover, purge).</summary>
internal enum ObjectType : byte
{
    Secret = 1,
    Key = 2,
    Certificate = 3,
}

internal static class ObjectTypeExtensions
{
    /// <summary>The path segment used in storage keys and identifiers (<c>secrets/name/version</c>).</summary>
    public static string PathSegment(this ObjectType type) => type switch
    {
        ObjectType.Secret => "secrets",
        ObjectType.Key => "keys",
        ObjectType.Certificate => "certificates",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The word used in messages ("Secret", "Key", "Certificate").</summary>
    public static string DisplayName(this ObjectType type) => type switch
    {
        ObjectType.Secret => "Secret",
        ObjectType.Key => "Key",
        ObjectType.Certificate => "Certificate",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static VaultErrorCode NotFoundCode(this ObjectType type) => type switch
    {
        ObjectType.Secret => VaultErrorCode.SecretNotFound,
        ObjectType.Key => new VaultErrorCode("KeyNotFound"),
        ObjectType.Certificate => new VaultErrorCode("CertificateNotFound"),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
