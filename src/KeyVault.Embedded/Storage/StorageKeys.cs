using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Storage;

/// <summary>How objects and versions are keyed in storage: <c>secrets/name</c> and <c>secrets/name/version</c>.</summary>
internal static class StorageKeys
{
    public static string Object(ObjectType type, string normalizedName) => $"{type.PathSegment()}/{normalizedName}";

    public static string Version(string objectKey, string version) => $"{objectKey}/{version}";

    public static string TypePrefix(ObjectType type) => type.PathSegment() + "/";
}
