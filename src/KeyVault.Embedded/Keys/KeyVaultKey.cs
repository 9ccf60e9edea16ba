namespace KeyVault.Embedded.Keys;

/// <summary>A key version: its public JSON Web Key (never private or symmetric material) and its properties.</summary>
/// <remarks>Only this library derives from this class (<see cref="DeletedKey"/>), as in the Azure SDK.</remarks>
public class KeyVaultKey
{
    internal KeyVaultKey(JsonWebKey key, KeyProperties properties)
    {
        Key = key;
        Properties = properties;
    }

    /// <summary>The key's name.</summary>
    public string Name => Properties.Name;

    /// <summary>The version's identifier.</summary>
    public Uri? Id => Properties.Id;

    /// <summary>The public key (for oct keys: type and operations only).</summary>
    public JsonWebKey Key { get; }

    /// <summary>The key type.</summary>
    public KeyType KeyType => Key.KeyType;

    /// <summary>The operations the key may be used for.</summary>
    public IReadOnlyCollection<KeyOperation> KeyOperations => Key.KeyOps.ToList();

    /// <summary>The version's properties.</summary>
    public KeyProperties Properties { get; }

    /// <summary>Name, version and type.</summary>
    public override string ToString() => $"{GetType().Name} {{ Name = {Name}, Version = {Properties.Version}, KeyType = {KeyType} }}";
}
