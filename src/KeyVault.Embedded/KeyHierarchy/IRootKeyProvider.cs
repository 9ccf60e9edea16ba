namespace KeyVault.Embedded;

/// <summary>
/// A source of a vault's root of trust: the key that wraps the vault's key-encryption keys. This is one of the
/// two seams for backend authors; the software root (<see cref="SoftwareRootKey"/>) ships in this package and a
/// PKCS#11 root in its own.
/// </summary>
/// <remarks>
/// A vault records the <see cref="Kind"/> of root it was created (or last re-rooted) under, plus the root's
/// non-secret parameters; it opens only with a provider of the same kind whose key unwraps its key-encryption keys.
/// </remarks>
public interface IRootKeyProvider
{
    /// <summary>
    /// The kind of root, recorded in the vault header (for example <c>software</c>,
    /// <c>passphrase-argon2id</c>, <c>pkcs11</c>). Stable: changing it makes existing vaults refuse this provider.
    /// </summary>
    string Kind { get; }

    /// <summary>
    /// Obtains the root key for one vault: reads a key file, derives from a passphrase, logs in to a token.
    /// </summary>
    /// <param name="context">The vault and the parameters this kind of root stored in it earlier, if any.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The root key; the vault disposes it when the vault is disposed.</returns>
    /// <exception cref="VaultException"><c>RootKeyUnavailable</c> when the key cannot be obtained.</exception>
    ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default);
}
