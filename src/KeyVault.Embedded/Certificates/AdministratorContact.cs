namespace KeyVault.Embedded.Certificates;

/// <summary>
/// An administrator of the organization's account at an outside CA, as an issuer records it (Azure's
/// <c>AdministratorContact</c>).
/// </summary>
public sealed class AdministratorContact
{
    /// <summary>The e-mail address.</summary>
    public string? Email { get; set; }

    /// <summary>The first name.</summary>
    public string? FirstName { get; set; }

    /// <summary>The last name.</summary>
    public string? LastName { get; set; }

    /// <summary>The phone number.</summary>
    public string? Phone { get; set; }
}
