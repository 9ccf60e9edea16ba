using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Secrets;

/// <summary>
/// The parts of a secret identifier (<c>{vault}/secrets/{name}[/{version}]</c>), as the Azure SDK's: for example to read
/// the name and version out of <see cref="KeyVaultSecret.Id"/> or a certificate's secret id.
/// </summary>
public readonly struct KeyVaultSecretIdentifier : IEquatable<KeyVaultSecretIdentifier>
{
    /// <summary>Reads <paramref name="id"/>.</summary>
    /// <param name="id">A secret identifier.</param>
    /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a secret identifier.</exception>
    public KeyVaultSecretIdentifier(Uri id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!ObjectIdentifier.TryParse(id, "secrets", out var vaultUri, out var name, out var version))
        {
            throw new ArgumentException("The identifier is not a secret identifier: it must be {vault}/secrets/{name}[/{version}].", nameof(id));
        }

        SourceId = id;
        VaultUri = vaultUri;
        Name = name;
        Version = version;
    }

    /// <summary>The identifier read.</summary>
    public Uri SourceId { get; }

    /// <summary>The vault's identifier.</summary>
    public Uri VaultUri { get; }

    /// <summary>The secret's name.</summary>
    public string Name { get; }

    /// <summary>The version, or null when the identifier names the secret only.</summary>
    public string? Version { get; }

    /// <summary>Reads <paramref name="id"/> when it is a secret identifier.</summary>
    /// <param name="id">An identifier, or null.</param>
    /// <param name="identifier">The parts, when the result is true.</param>
    /// <returns>Whether <paramref name="id"/> is a secret identifier.</returns>
    public static bool TryCreate(Uri? id, out KeyVaultSecretIdentifier identifier)
    {
        identifier = ObjectIdentifier.TryParse(id, "secrets", out _, out _, out _) ? new KeyVaultSecretIdentifier(id!) : default;
        return id is not null && identifier.SourceId is not null;
    }

    /// <summary>Whether two identifiers are the same.</summary>
    /// <param name="other">The other identifier.</param>
    /// <returns>True when their source identifiers are equal.</returns>
    public bool Equals(KeyVaultSecretIdentifier other) => Equals(SourceId, other.SourceId);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyVaultSecretIdentifier other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => SourceId?.GetHashCode() ?? 0;

    /// <summary>The source identifier.</summary>
    /// <returns>The identifier as a string.</returns>
    public override string ToString() => SourceId?.ToString() ?? string.Empty;
}
