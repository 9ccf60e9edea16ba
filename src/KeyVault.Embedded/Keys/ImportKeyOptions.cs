namespace KeyVault.Embedded.Keys;

/// <summary>A key to import, with the properties of its first version.</summary>
public sealed class ImportKeyOptions
{
    /// <summary>Creates import options.</summary>
    /// <param name="name">The key's name.</param>
    /// <param name="key">The key, with its private members (or, for oct, its key).</param>
    public ImportKeyOptions(string name, JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(key);
        Name = name;
        Key = key;
        Properties = new KeyProperties(name);
    }

    /// <summary>The key's name.</summary>
    public string Name { get; }

    /// <summary>The key to import. Its <c>key_ops</c>, when present, become the key's allowed operations.</summary>
    public JsonWebKey Key { get; }

    /// <summary>Properties of the imported version (enabled, dates, tags).</summary>
    public KeyProperties Properties { get; }
}
