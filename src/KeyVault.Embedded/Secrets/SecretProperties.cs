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

    /// <summary>Creates properties for the secret version <paramref name="id"/> names (Azure's <c>new SecretProperties(secret.Id)</c>).</summary>
    /// <param name="id">A secret identifier, <c>{vault}/secrets/{name}[/{version}]</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a secret identifier.</exception>
    public SecretProperties(Uri id)
        : this(new KeyVaultSecretIdentifier(id))
    {
    }

    private SecretProperties(KeyVaultSecretIdentifier id)
        : base(id.Name)
    {
        Version = id.Version;
        VaultUri = id.VaultUri;
    }

    /// <summary>A hint of what the value holds (at most 255 characters). Null leaves it unchanged on update.</summary>
    public string? ContentType { get; set; }

    /// <summary>For a certificate's managed secret, the identifier of the certificate's key of the same version; else null.</summary>
    public Uri? KeyId { get; internal set; }

    /// <summary>
    /// Azure's previous certificate version for a certificate's secret, which Azure sets only for certificates it
    /// renews through a partner issuer; always null here (every version of a secret is listed by
    /// <see cref="ISecretStore.GetPropertiesOfSecretVersionsAsync"/>).
    /// </summary>
    public string? PreviousVersion { get; internal set; }

    private protected override string PathSegment => "secrets";
}
