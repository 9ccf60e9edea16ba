namespace KeyVault.Embedded.Keys;

/// <summary>
/// The properties of one key version: everything but the key itself. Passed to
/// <see cref="IKeyStore.UpdateKeyPropertiesAsync"/> to change the settable ones.
/// </summary>
/// <remarks>
/// Unlike a secret's, a key's notBefore and expiresOn are enforced: outside that window the key only decrypts,
/// unwraps and verifies (Azure's rule). A disabled key does nothing.
/// </remarks>
public sealed class KeyProperties : VaultObjectProperties
{
    /// <summary>Creates properties for the key <paramref name="name"/> (its current version unless a version is set).</summary>
    /// <param name="name">The key's name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public KeyProperties(string name)
        : base(name)
    {
    }

    private protected override string PathSegment => "keys";
}
