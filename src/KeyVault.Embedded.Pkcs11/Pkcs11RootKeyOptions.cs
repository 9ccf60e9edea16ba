namespace KeyVault.Embedded.Pkcs11;

/// <summary>Where the root key lives: the PKCS#11 module, the token, the PIN and the AES key's label (or id).</summary>
public sealed class Pkcs11RootKeyOptions
{
    /// <summary>The PKCS#11 module, for example <c>/usr/lib/softhsm/libsofthsm2.so</c>. Required.</summary>
    public string ModulePath { get; set; } = string.Empty;

    /// <summary>The token's label. Give this or <see cref="SlotId"/>.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>The token's slot id. Give this or <see cref="TokenLabel"/>.</summary>
    public ulong? SlotId { get; set; }

    /// <summary>
    /// The user PIN, as bytes (UTF-8 for a text PIN). <see cref="Pkcs11RootKey"/> copies it into memory it zeroes on
    /// dispose; zero this array yourself once the root key is created. Never logged, never in a message.
    /// </summary>
    public byte[]? Pin { get; set; }

    /// <summary>The root key's label (<c>CKA_LABEL</c>). Give this or <see cref="KeyId"/>.</summary>
    public string? KeyLabel { get; set; }

    /// <summary>The root key's id (<c>CKA_ID</c>). Give this or <see cref="KeyLabel"/>.</summary>
    public byte[]? KeyId { get; set; }

    /// <summary>
    /// Keeps the vault's rollback anchor in the token: a private data object <c>kve-anchor:{vault id}</c> holding the
    /// vault's latest generation and manifest root, updated after every commit. An open of vault files older than it
    /// fails with <c>RollbackDetected</c>. Default false.
    /// </summary>
    public bool UseTokenAnchor { get; set; }
}
