namespace KeyVault.Embedded.Keys;

/// <summary>Options for a new EC key.</summary>
public sealed class CreateEcKeyOptions : CreateKeyOptions
{
    /// <summary>Creates options for an EC key.</summary>
    /// <param name="name">The key's name.</param>
    /// <param name="hardwareProtected">Whether the private key lives in the PKCS#11 token (<c>EC-HSM</c>).</param>
    public CreateEcKeyOptions(string name, bool hardwareProtected = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        HardwareProtected = hardwareProtected;
    }

    /// <summary>The key's name.</summary>
    public string Name { get; }

    /// <summary>Whether the private key lives in the PKCS#11 token.</summary>
    public bool HardwareProtected { get; }

    /// <summary>P-256 (default), P-256K, P-384 or P-521.</summary>
    public KeyCurveName? CurveName { get; set; }
}
