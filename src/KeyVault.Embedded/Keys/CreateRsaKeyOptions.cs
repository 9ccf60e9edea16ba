namespace KeyVault.Embedded.Keys;

/// <summary>Options for a new RSA key.</summary>
public sealed class CreateRsaKeyOptions : CreateKeyOptions
{
    /// <summary>Creates options for an RSA key.</summary>
    /// <param name="name">The key's name.</param>
    /// <param name="hardwareProtected">Whether the private key lives in the PKCS#11 token (<c>RSA-HSM</c>).</param>
    public CreateRsaKeyOptions(string name, bool hardwareProtected = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        HardwareProtected = hardwareProtected;
    }

    /// <summary>The key's name.</summary>
    public string Name { get; }

    /// <summary>Whether the private key lives in the PKCS#11 token.</summary>
    public bool HardwareProtected { get; }

    /// <summary>2048 (default), 3072 or 4096 bits.</summary>
    public int? KeySize { get; set; }

    /// <summary>The public exponent; only 65537 (the default) is supported.</summary>
    public int? PublicExponent { get; set; }
}
