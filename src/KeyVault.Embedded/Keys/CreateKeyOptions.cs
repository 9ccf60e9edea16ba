namespace KeyVault.Embedded.Keys;

/// <summary>Properties of a new key (shared by the RSA, EC and oct options).</summary>
public class CreateKeyOptions
{
    private Dictionary<string, string>? _tags;

    /// <summary>Whether the key is enabled; default true.</summary>
    public bool? Enabled { get; set; }

    /// <summary>When the key becomes usable for encrypt, wrap and sign.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>When the key stops being usable for encrypt, wrap and sign.</summary>
    public DateTimeOffset? ExpiresOn { get; set; }

    /// <summary>The operations allowed; empty means every operation of the key's type.</summary>
    public IList<KeyOperation> KeyOperations { get; } = [];

    /// <summary>Up to 15 tags.</summary>
    public IDictionary<string, string> Tags => _tags ??= new Dictionary<string, string>(StringComparer.Ordinal);

    internal IReadOnlyDictionary<string, string>? TagsOrNull => _tags;
}
