using System.Globalization;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Records;

/// <summary>
/// What each record is: its key, a plain ASCII path, which its authentication covers (where the store keeps it is its
/// id, <see cref="RecordIds"/>):
/// <list type="bullet">
/// <item><description><c>vault</c>: the header.</description></item>
/// <item><description><c>kek/00000001</c>: one wrapped key-encryption key per version (written once, never replaced).</description></item>
/// <item><description><c>secrets/{name}</c> and <c>secrets/{name}/{version}</c> (likewise <c>keys/</c>, <c>certificates/</c>,
/// <c>certificateoperations/</c>): an object and its versions; names are lowercase.</description></item>
/// <item><description><c>settings/{key}</c>: small vault settings (certificate contacts, issuers, expiry markers).</description></item>
/// <item><description><c>~manifest/{bucket}</c>: the manifest itself (see <c>Manifest</c>), not listed in it.</description></item>
/// </list>
/// </summary>
internal static class RecordKeys
{
    public const string Header = "vault";
    public const string KekPrefix = "kek/";
    public const string SettingPrefix = "settings/";
    public const string ManifestPrefix = "~manifest/";

    private static readonly ObjectType[] Types = Enum.GetValues<ObjectType>();

    public static string Object(ObjectType type, string normalizedName) => $"{type.PathSegment()}/{normalizedName}";

    public static string Version(string objectKey, string version) => $"{objectKey}/{version}";

    public static string Kek(int version) => KekPrefix + version.ToString("D8", CultureInfo.InvariantCulture);

    public static string Setting(string name) => SettingPrefix + name;

    /// <summary>What a key names: an object (<paramref name="version"/> null), a version of one, or another record.</summary>
    /// <returns>True for object and version keys.</returns>
    public static bool TryParseObject(string key, out ObjectType type, out string name, out string? version)
    {
        type = default;
        name = string.Empty;
        version = null;
        var first = key.IndexOf('/', StringComparison.Ordinal);
        if (first <= 0 || !TryType(key.AsSpan(0, first), out type))
        {
            return false;
        }

        var second = key.IndexOf('/', first + 1);
        if (second < 0)
        {
            name = key[(first + 1)..];
            return name.Length > 0;
        }

        name = key[(first + 1)..second];
        version = key[(second + 1)..];
        return name.Length > 0 && version.Length > 0 && version.IndexOf('/', StringComparison.Ordinal) < 0;
    }

    /// <summary>
    /// What a key names, without allocating (the manifest parses every key at open): an object (<c>type/name</c>), a
    /// version (<c>type/name/version</c>, the object's key being its first <paramref name="objectKeyLength"/>
    /// characters) or another record. Agrees with <see cref="TryParseObject"/>.
    /// </summary>
    public static KeyShape Shape(string key, out ObjectType type, out int objectKeyLength)
    {
        objectKeyLength = 0;
        var first = key.IndexOf('/', StringComparison.Ordinal);
        if (first <= 0 || !TryType(key.AsSpan(0, first), out type))
        {
            type = default;
            return KeyShape.Other;
        }

        var second = key.IndexOf('/', first + 1);
        if (second < 0)
        {
            objectKeyLength = key.Length;
            return key.Length > first + 1 ? KeyShape.Object : KeyShape.Other;
        }

        objectKeyLength = second;
        return second > first + 1 && second < key.Length - 1 && key.IndexOf('/', second + 1) < 0 ? KeyShape.Version : KeyShape.Other;
    }

    /// <summary>The key whose bucket a record shares: an object's key for the object and its versions, else the key.</summary>
    public static string GroupOf(string key)
    {
        if (TryParseObject(key, out var type, out var name, out var version) && version is not null)
        {
            return Object(type, name);
        }

        return key;
    }

    public static int? ParseKek(string key) =>
        key.StartsWith(KekPrefix, StringComparison.Ordinal) && int.TryParse(key.AsSpan(KekPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : null;

    private static bool TryType(ReadOnlySpan<char> segment, out ObjectType type)
    {
        foreach (var candidate in Types)
        {
            if (segment.SequenceEqual(candidate.PathSegment()))
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }
}

/// <summary>What a record key names (see <see cref="RecordKeys.Shape"/>).</summary>
internal enum KeyShape
{
    Other,
    Object,
    Version,
}
