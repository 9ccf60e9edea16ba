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

        var segments = id.AbsolutePath.Trim('/').Split('/');
        for (var at = segments.Length - 2; at >= Math.Max(0, segments.Length - 3); at--)
        {
            if (!string.Equals(segments[at], collection, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = segments.Length - at - 1;
            if (rest is < 1 or > 2 || segments[at + 1].Length == 0 || (rest == 2 && segments[at + 2].Length == 0))
            {
                return false;
            }

            var basePath = "/" + string.Concat(segments.Take(at).Select(s => s + "/"));
            vaultUri = new UriBuilder(id.Scheme, id.Host, id.IsDefaultPort ? -1 : id.Port, basePath).Uri;
            name = Uri.UnescapeDataString(segments[at + 1]);
            version = rest == 2 ? Uri.UnescapeDataString(segments[at + 2]) : null;
            return true;
        }

        return false;
    }
}
