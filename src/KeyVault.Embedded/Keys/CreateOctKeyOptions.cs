namespace KeyVault.Embedded.Keys;

/// <summary>Options for a new oct (AES) key.</summary>
public sealed class CreateOctKeyOptions : CreateKeyOptions
{
    /// <summary>Creates options for an oct key.</summary>
    /// <param name="name">The key's name.</param>
    /// <param name="hardwareProtected">Whether the key lives in the PKCS#11 token (<c>oct-HSM</c>).</param>
    public CreateOctKeyOptions(string name, bool hardwareProtected = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        HardwareProtected = hardwareProtected;
    }

    /// <summary>The key's name.</summary>
    public string Name { get; }

    /// <summary>Whether the key lives in the PKCS#11 token.</summary>
    public bool HardwareProtected { get; }

    /// <summary>128, 192 or 256 (default) bits.</summary>
    public int? KeySize { get; set; }
}
