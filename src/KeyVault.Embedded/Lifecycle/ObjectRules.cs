using System.Security.Cryptography;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// Azure Key Vault's rules for names, versions and tags, shared by secrets, keys and certificates.
/// Each check throws a <c>BadParameter</c> <see cref="VaultException"/> that names the rule.
/// </summary>
internal static class ObjectRules
{
    public const int MaxNameLength = 127;
    public const int MaxTags = 15;
    public const int MaxTagLength = 256;
    public const int VersionLength = 32;

    /// <summary>Names match <c>^[0-9a-zA-Z-]{1,127}$</c> and compare case-insensitively.</summary>
    public static void ValidateName(ObjectType type, string? name)
    {
        if (name is null || name.Length == 0 || name.Length > MaxNameLength || !IsNameChars(name))
        {
            // The name is not echoed: a caller who swapped arguments (value for name) must not see the value in a log.
            var shown = name is null ? "is null" : $"of {name.Length} characters is invalid";
            throw VaultErrors.BadParameter(
                $"The {type.DisplayName().ToLowerInvariant()} name {shown}: names must match ^[0-9a-zA-Z-]{{1,127}}$ " +
                "(1 to 127 letters, digits and dashes).");
        }
    }

    private static bool IsNameChars(string name)
    {
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The canonical (case-folded) form of a valid name, used in storage keys and sealing.</summary>
    public static string Normalize(string name) => name.ToLowerInvariant();

    /// <summary>A new version id: 32 lowercase hexadecimal characters from 128 random bits, as Azure's.</summary>
    public static string NewVersion()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Validates a version asked for by a caller and returns its canonical (lowercase) form.</summary>
    public static string NormalizeVersion(ObjectType type, string version)
    {
        if (version.Length != VersionLength || !version.All(char.IsAsciiHexDigit))
        {
            throw VaultErrors.BadParameter(
                $"{type.DisplayName()} version '{Truncate(version)}' is invalid: versions are {VersionLength}-character hexadecimal ids.");
        }

        return version.ToLowerInvariant();
    }

    /// <summary>At most 15 tags; tag names 1-256 characters, values at most 256 characters.</summary>
    public static void ValidateTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags.Count > MaxTags)
        {
            throw VaultErrors.BadParameter($"{tags.Count} tags were given: at most {MaxTags} tags are allowed.");
        }

        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrEmpty(key) || key.Length > MaxTagLength)
            {
                throw VaultErrors.BadParameter(
                    $"Tag name '{Truncate(key ?? string.Empty)}' is invalid: tag names must be 1 to {MaxTagLength} characters.");
            }

            if (value is null || value.Length > MaxTagLength)
            {
                throw VaultErrors.BadParameter(
                    $"The value of tag '{Truncate(key)}' is invalid: tag values must be at most {MaxTagLength} characters and not null.");
            }
        }
    }

    /// <summary>notBefore, when both are given, must not be after expiresOn.</summary>
    public static void ValidateDates(DateTimeOffset? notBefore, DateTimeOffset? expiresOn)
    {
        if (notBefore is { } nbf && expiresOn is { } exp && nbf > exp)
        {
            throw VaultErrors.BadParameter("notBefore is after expiresOn: an object cannot become valid after it expires.");
        }
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "..." : text;
}
