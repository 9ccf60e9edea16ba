namespace KeyVault.Embedded.Access;

/// <summary>
/// Where a role assignment applies, inherited downward: the vault (<c>/</c>), an object type (<c>/secrets</c>,
/// <c>/keys</c>, <c>/certificates</c>) or one object (<c>/secrets/{name}</c>...). Names compare case-insensitively.
/// </summary>
public readonly struct KeyVaultRoleScope : IEquatable<KeyVaultRoleScope>
{
    private static readonly string[] Types = ["secrets", "keys", "certificates"];
    private readonly string? _value;

    /// <summary>Creates a scope from its text.</summary>
    /// <param name="value"><c>/</c>, <c>/{type}</c> or <c>/{type}/{name}</c>.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> for any other form.</exception>
    public KeyVaultRoleScope(string value)
    {
        _value = Normalize(value) ?? throw VaultErrors.BadParameter("A role scope is '/', '/secrets', '/keys', '/certificates', or '/{type}/{name}' with a name of 1 to 127 letters, digits and dashes, and no empty segment or trailing '/'.");
    }

    /// <summary>The whole vault.</summary>
    public static KeyVaultRoleScope Global { get; } = new("/");

    /// <summary>Every key.</summary>
    public static KeyVaultRoleScope Keys { get; } = new("/keys");

    /// <summary>Every secret.</summary>
    public static KeyVaultRoleScope Secrets { get; } = new("/secrets");

    /// <summary>Every certificate.</summary>
    public static KeyVaultRoleScope Certificates { get; } = new("/certificates");

    /// <summary>The scope's text.</summary>
    public string Value => _value ?? "/";

    /// <summary>The scope of one secret.</summary>
    /// <param name="name">The secret's name.</param>
    /// <returns>The scope.</returns>
    public static KeyVaultRoleScope Secret(string name) => new($"/secrets/{name}");

    /// <summary>The scope of one key.</summary>
    /// <param name="name">The key's name.</param>
    /// <returns>The scope.</returns>
    public static KeyVaultRoleScope Key(string name) => new($"/keys/{name}");

    /// <summary>The scope of one certificate.</summary>
    /// <param name="name">The certificate's name.</param>
    /// <returns>The scope.</returns>
    public static KeyVaultRoleScope Certificate(string name) => new($"/certificates/{name}");

    /// <summary>Whether this scope contains <paramref name="other"/> (itself, or anything below it).</summary>
    /// <param name="other">The scope of an operation.</param>
    /// <returns>True when an assignment here applies there.</returns>
    public bool Contains(KeyVaultRoleScope other) =>
        Value == "/" || other.Value.Equals(Value, StringComparison.Ordinal) || other.Value.StartsWith(Value + "/", StringComparison.Ordinal);

    /// <inheritdoc/>
    public bool Equals(KeyVaultRoleScope other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyVaultRoleScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc/>
    public override string ToString() => Value;

    /// <summary>Compares two scopes.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are the same.</returns>
    public static bool operator ==(KeyVaultRoleScope left, KeyVaultRoleScope right) => left.Equals(right);

    /// <summary>Compares two scopes.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(KeyVaultRoleScope left, KeyVaultRoleScope right) => !left.Equals(right);

    private static string? Normalize(string? value)
    {
        if (string.IsNullOrEmpty(value) || value[0] != '/' || value.Length > 200)
        {
            return null;
        }

        if (value == "/")
        {
            return "/";
        }

        // No empty segment: "//", "/secrets/" or "/secrets//" is what a script makes of "/secrets/$NAME" with the name
        // missing, and taking it as "/" or "/secrets" would grant far more than was meant.
        var parts = value.Split('/');
        if (parts.Skip(1).Any(part => part.Length == 0))
        {
            return null;
        }

        var type = parts[1].ToLowerInvariant();
        if (!Types.Contains(type) || parts.Length > 3)
        {
            return null;
        }

        if (parts.Length == 2)
        {
            return "/" + type;
        }

        var name = parts[2];
        return name.Length is >= 1 and <= 127 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? $"/{type}/{name.ToLowerInvariant()}" : null;
    }
}
