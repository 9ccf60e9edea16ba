namespace KeyVault.Embedded.Certificates;

/// <summary>A person told when certificates near expiry (the EmailContacts lifetime action).</summary>
public sealed class CertificateContact
{
    /// <summary>The contact's name.</summary>
    public string? Name { get; set; }

    /// <summary>The contact's email address.</summary>
    public string? Email { get; set; }

    /// <summary>The contact's phone number.</summary>
    public string? Phone { get; set; }

    /// <summary>Name and email.</summary>
    public override string ToString() => $"CertificateContact {{ Name = {Name}, Email = {Email} }}";
}
