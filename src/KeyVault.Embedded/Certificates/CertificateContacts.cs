using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>The vault's certificate contacts (who hears of expiring certificates): one setting, replaced whole.</summary>
internal sealed class CertificateContacts
{
    private const string Setting = "certificates/contacts";
    private readonly VaultSettings _settings;

    public CertificateContacts(VaultCore core)
    {
        _settings = new VaultSettings(core);
    }

    public static List<StoredContact> Validate(IEnumerable<CertificateContact?> contacts)
    {
        var stored = new List<StoredContact>();
        foreach (var contact in contacts)
        {
            if (contact is null || string.IsNullOrWhiteSpace(contact.Email) || contact.Email.IndexOf('@') < 1)
            {
                throw VaultErrors.BadParameter("CertificateContact.Email is required and must be an email address.");
            }

            stored.Add(new StoredContact(contact.Name, contact.Email, contact.Phone));
        }

        return stored;
    }

    public static void Put(VaultTransaction tx, List<StoredContact> contacts) =>
        VaultSettings.Put(tx, Setting, JsonSerializer.Serialize(contacts, RecordJsonContext.Default.ListStoredContact));

    public static void Delete(VaultTransaction tx) => VaultSettings.Delete(tx, Setting);

    public async ValueTask<List<StoredContact>> ReadAsync(CancellationToken cancellationToken = default) =>
        await _settings.GetAsync(Setting, cancellationToken).ConfigureAwait(false) is { } json
            ? JsonSerializer.Deserialize(json, RecordJsonContext.Default.ListStoredContact) ?? throw new VaultIntegrityException("The certificate contacts setting is unreadable.")
            : [];

    public static IList<CertificateContact> ToPublic(IEnumerable<StoredContact> stored) =>
        stored.Select(c => new CertificateContact { Name = c.Name, Email = c.Email, Phone = c.Phone }).ToList();
}
