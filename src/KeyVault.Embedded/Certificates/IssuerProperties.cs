namespace KeyVault.Embedded.Certificates;

/// <summary>An issuer as <see cref="ICertificateStore.GetPropertiesOfIssuersAsync"/> lists it: identifier, name and provider.</summary>
public sealed class IssuerProperties
{
    internal IssuerProperties(Uri? id, string name, string? provider)
    {
        Id = id;
        Name = name;
        Provider = provider;
    }

    /// <summary>The issuer's identifier: <c>{vault}/certificates/issuers/{name}</c>.</summary>
    public Uri? Id { get; }

    /// <summary>The issuer's name.</summary>
    public string Name { get; }

    /// <summary>The provider.</summary>
    public string? Provider { get; set; }

    /// <summary>Name and provider.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"IssuerProperties {{ Name = {Name}, Provider = {Provider} }}";
}
