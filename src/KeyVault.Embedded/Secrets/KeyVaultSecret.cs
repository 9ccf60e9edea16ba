namespace KeyVault.Embedded.Secrets;

/// <summary>A secret: its value and the properties of the version that holds it.</summary>
/// <remarks>Only this library derives from this class (<see cref="DeletedSecret"/>), as in the Azure SDK.</remarks>
public class KeyVaultSecret
{
    /// <summary>Creates a secret to set.</summary>
    /// <param name="name">The name: <c>^[0-9a-zA-Z-]{1,127}$</c>, case-insensitive.</param>
    /// <param name="value">The value: at most 25 KiB as UTF-8.</param>
    public KeyVaultSecret(string name, string value)
        : this(new SecretProperties(name), value)
    {
    }

    /// <summary>Creates a secret with the given properties (used to set a value with properties, and by the vault).</summary>
    /// <param name="properties">The properties.</param>
    /// <param name="value">The value.</param>
    public KeyVaultSecret(SecretProperties properties, string value)
    {
        ArgumentNullException.ThrowIfNull(properties);
        ArgumentNullException.ThrowIfNull(value);
        Properties = properties;
        Value = value;
    }

    // A deleted secret, which carries no value.
    private protected KeyVaultSecret(SecretProperties properties, string? value, bool deleted)
    {
        ArgumentNullException.ThrowIfNull(properties);
        _ = deleted;
        Properties = properties;
        Value = value!;
    }

    /// <summary>The secret's name.</summary>
    public string Name => Properties.Name;

    /// <summary>The version's identifier.</summary>
    public Uri? Id => Properties.Id;

    /// <summary>The secret value; null on a <see cref="DeletedSecret"/>, which carries none (as in Azure).</summary>
    public string Value { get; }

    /// <summary>The version's properties.</summary>
    public SecretProperties Properties { get; }

    /// <summary>Name and version, with the value redacted.</summary>
    /// <returns>A description without the value.</returns>
    public override string ToString() => $"{GetType().Name} {{ Name = {Name}, Version = {Properties.Version}, Value = *** }}";
}
