namespace KeyVault.Embedded.Secrets;

/// <summary>
/// The properties of one secret version: everything but its value. Returned by every secret operation;
/// passed to <see cref="ISecretStore.UpdateSecretPropertiesAsync"/> to change the settable ones.
/// </summary>
/// <remarks>
/// As in Azure, notBefore and expiresOn are informational for secrets: an expired or not-yet-valid version is still
/// readable. A disabled version cannot be read.
/// </remarks>
public sealed class SecretProperties : VaultObjectProperties
{
    /// <summary>Creates properties for the secret <paramref name="name"/> (its current version unless a version is set).</summary>
    /// <param name="name">The secret's name; the vault checks it against Azure's naming rule when it is used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public SecretProperties(string name)
        : base(name)
    {
    }

    /// <summary>A hint of what the value holds (at most 255 characters). Null leaves it unchanged on update.</summary>
    public string? ContentType { get; set; }

    private protected override string PathSegment => "secrets";
}
