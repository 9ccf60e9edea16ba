namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// Reads an object identifier (<c>{vault}/{collection}/{name}[/{version}]</c>) into its parts, as the Azure SDK's
/// <c>KeyVaultSecretIdentifier</c> does; the vault part may itself have a path (a vault URI such as
/// <c>https://host/vaults/a/</c>).
/// </summary>
internal static class ObjectIdentifier
{
    public static bool TryParse(Uri? id, string collection, out Uri vaultUri, out string name, out string? version)
    {
        vaultUri = null!;
        name = null!;
        version = null;
        if (id is null || !id.IsAbsoluteUri || !string.IsNullOrEmpty(id.Query) || !string.IsNullOrEmpty(id.Fragment))
        {
            return false;
        }

        // The versioned form first: in ".../secrets/secrets/abc" that reads secret "secrets", version "abc" (the vault at
        // the shorter base). A name or version must be one the vault could have made.
        var segments = id.AbsolutePath.Trim('/').Split('/');
        for (var at = Math.Max(0, segments.Length - 3); at <= segments.Length - 2; at++)
        {
            if (!string.Equals(segments[at], collection, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = segments.Length - at - 1;
            if (rest is < 1 or > 2 || !IsNamePart(segments[at + 1]) || (rest == 2 && !IsNamePart(segments[at + 2])))
            {
                continue;
            }

            var basePath = "/" + string.Concat(segments.Take(at).Select(s => s + "/"));
            vaultUri = new UriBuilder(id.Scheme, id.Host, id.IsDefaultPort ? -1 : id.Port, basePath).Uri;
            name = segments[at + 1];
            version = rest == 2 ? segments[at + 2] : null;
            return true;
        }

        return false;
    }

    // Names and versions are [0-9a-zA-Z-], at most 127 characters (Azure's rule; versions are 32 hex characters).
    private static bool IsNamePart(string segment) =>
        segment.Length is > 0 and <= 127 && segment.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
