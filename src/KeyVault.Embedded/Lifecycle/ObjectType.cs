namespace KeyVault.Embedded.Lifecycle;

/// <summary>The kinds of object that share the lifecycle core (versions, soft delete, recover, purge).</summary>
internal enum ObjectType : byte
{
    Secret = 1,
    Key = 2,
    Certificate = 3,

    /// <summary>A certificate waiting for its signed certificate to be merged (issuer Unknown).</summary>
    CertificateOperation = 4,
}

internal static class ObjectTypeExtensions
{
    /// <summary>The path segment used in storage keys and identifiers (<c>secrets/name/version</c>).</summary>
    public static string PathSegment(this ObjectType type) => type switch
    {
        ObjectType.Secret => "secrets",
        ObjectType.Key => "keys",
        ObjectType.Certificate => "certificates",
        ObjectType.CertificateOperation => "certificateoperations",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>
    /// The segment Azure's role scopes and object identifiers use (<c>/secrets/{name}</c>): a pending certificate
    /// operation is its certificate's.
    /// </summary>
    public static string ScopeSegment(this ObjectType type) => type switch
    {
        ObjectType.Secret => "secrets",
        ObjectType.Key => "keys",
        ObjectType.Certificate or ObjectType.CertificateOperation => "certificates",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The word used in messages ("Secret", "Key", "Certificate").</summary>
    public static string DisplayName(this ObjectType type) => type switch
    {
        ObjectType.Secret => "Secret",
        ObjectType.Key => "Key",
        ObjectType.Certificate => "Certificate",
        ObjectType.CertificateOperation => "Certificate operation",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static VaultErrorCode NotFoundCode(this ObjectType type) => type switch
    {
        ObjectType.Secret => VaultErrorCode.SecretNotFound,
        ObjectType.Key => new VaultErrorCode("KeyNotFound"),
        ObjectType.Certificate => new VaultErrorCode("CertificateNotFound"),
        ObjectType.CertificateOperation => new VaultErrorCode("PendingCertificateNotFound"),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
