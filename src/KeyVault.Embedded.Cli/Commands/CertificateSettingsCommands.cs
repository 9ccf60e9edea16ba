using System.CommandLine;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Cli.Output;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary>
/// <c>kv certificate issuer ...</c> and <c>kv certificate contact ...</c>, as az's. An issuer here is a CA certificate of
/// this vault (provider <c>VaultCertificate</c>) that signs for policies naming the issuer.
/// </summary>
internal static class CertificateSettingsCommands
{
    public static Command Issuer() => Group("issuer", "Certificate issuers: names a policy's issuerParameters can use, backed by a CA certificate of this vault (or recorded for an outside CA).",
        IssuerCreate(), IssuerUpdate(), IssuerShow(), IssuerList(), IssuerDelete());

    public static Command Contact() => Group("contact", "The vault's certificate contacts (told of lifetime events).",
        ContactAdd(), ContactList(), ContactDelete());

    private static Option<string> IssuerName() => Required("--issuer-name", "The issuer's name.");

    private static Command IssuerCreate()
    {
        var name = IssuerName();
        var provider = new Option<string>("--provider-name")
        {
            Description = $"The provider: {CertificateIssuer.VaultCertificateProvider} (a CA certificate of this vault signs), or an outside CA's (DigiCert, GlobalSign), which the vault records as az does but does not reach.",
            DefaultValueFactory = _ => CertificateIssuer.VaultCertificateProvider,
        };
        var certificate = Optional("--certificate-name", $"For {CertificateIssuer.VaultCertificateProvider}: the CA certificate of this vault that signs for the issuer (basic constraints CA, keyCertSign).");
        var (account, password, organization) = OutsideCaOptions();
        var disabled = new Option<bool>("--disabled") { Description = "Create the issuer disabled." };
        return CommandFactory.Create("create", "Create an issuer.", [name, provider, certificate, account, password, organization, disabled],
            parse =>
            {
                var issuer = new CertificateIssuer(parse.GetValue(name)!, parse.GetValue(provider)!)
                {
                    CertificateName = parse.GetValue(certificate),
                    Enabled = parse.GetValue(disabled) ? false : null,
                };
                SetOutsideCa(issuer, parse, account, password, organization);
                return async (vault, _, ct) => CertificateOutput.Issuer(await vault.Certificates.CreateIssuerAsync(issuer, ct).ConfigureAwait(false));
            });
    }

    private static Command IssuerUpdate()
    {
        var name = IssuerName();
        var provider = Optional("--provider-name", "A new provider (an update that names none keeps the issuer's).");
        var certificate = Optional("--certificate-name", "A new CA certificate of this vault to sign for the issuer.");
        var (account, password, organization) = OutsideCaOptions();
        var enabled = new Option<bool?>("--enabled") { Description = "true or false." };
        return CommandFactory.Create("update", "Update an issuer: its provider, CA certificate, account, organization or enabled state.", [name, provider, certificate, account, password, organization, enabled],
            parse =>
            {
                var issuer = new CertificateIssuer(parse.GetValue(name)!, parse.GetValue(provider) ?? CertificateIssuer.VaultCertificateProvider) { CertificateName = parse.GetValue(certificate), Enabled = parse.GetValue(enabled) };
                SetOutsideCa(issuer, parse, account, password, organization);
                return async (vault, _, ct) => CertificateOutput.Issuer(await vault.Certificates.UpdateIssuerAsync(issuer, ct).ConfigureAwait(false));
            });
    }

    /// <summary>az's options for an outside CA's account: its id, its password (accepted and never stored, as the vault never reaches the CA) and the organization.</summary>
    private static (Option<string?> Account, Option<string?> Password, Option<string?> Organization) OutsideCaOptions() => (
        Optional("--account-id", "An outside CA's account id."),
        Optional("--password", "An outside CA's account password: accepted as az does, never stored or shown (the vault does not reach outside CAs)."),
        Optional("--organization-id", "An outside CA's organization id."));

    private static void SetOutsideCa(CertificateIssuer issuer, ParseResult parse, Option<string?> account, Option<string?> password, Option<string?> organization)
    {
        issuer.AccountId = parse.GetValue(account);
        issuer.Password = parse.GetValue(password);
        issuer.OrganizationId = parse.GetValue(organization);
    }

    private static Command IssuerShow()
    {
        var name = IssuerName();
        return CommandFactory.Create("show", "Show an issuer.", [name],
            parse => async (vault, _, ct) => CertificateOutput.Issuer(await vault.Certificates.GetIssuerAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)));
    }

    private static Command IssuerList() =>
        CommandFactory.Create("list", "List issuers.", [],
            _ => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var issuer in vault.Certificates.GetPropertiesOfIssuersAsync(ct).ConfigureAwait(false))
                {
                    items.Add(CertificateOutput.Issuer(issuer));
                }

                return items;
            });

    private static Command IssuerDelete()
    {
        var name = IssuerName();
        return CommandFactory.Create("delete", "Delete an issuer (its CA certificate stays).", [name],
            parse => async (vault, _, ct) => CertificateOutput.Issuer(await vault.Certificates.DeleteIssuerAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)));
    }

    private static Command ContactAdd()
    {
        var email = Required("--email", "The contact's e-mail address.");
        var name = Optional("--name", "The contact's name.");
        var phone = Optional("--phone", "The contact's phone number.");
        return CommandFactory.Create("add", "Add a contact (the list is replaced as a whole, as az does; an existing e-mail is refused).", [email, name, phone],
            parse => async (vault, _, ct) =>
            {
                var contacts = await ContactsAsync(vault, ct).ConfigureAwait(false);
                var address = parse.GetValue(email)!;
                if (contacts.Any(c => string.Equals(c.Email, address, StringComparison.OrdinalIgnoreCase)))
                {
                    throw CliException.Conflict($"--email: '{address}' is a contact already.");
                }

                var updated = contacts.Append(new CertificateContact { Email = address, Name = parse.GetValue(name), Phone = parse.GetValue(phone) });
                return CertificateOutput.Contacts(await vault.Certificates.SetContactsAsync(updated, ct).ConfigureAwait(false));
            });
    }

    /// <summary>The vault's contacts; none (rather than the API's ContactsNotFound) when it has none.</summary>
    private static async Task<IList<CertificateContact>> ContactsAsync(EmbeddedVault vault, CancellationToken ct)
    {
        try
        {
            return await vault.Certificates.GetContactsAsync(ct).ConfigureAwait(false);
        }
        catch (VaultObjectNotFoundException)
        {
            return [];
        }
    }

    private static Command ContactList() =>
        CommandFactory.Create("list", "List the contacts.", [],
            _ => async (vault, _, ct) => CertificateOutput.Contacts(await ContactsAsync(vault, ct).ConfigureAwait(false)));

    private static Command ContactDelete()
    {
        var email = Required("--email", "The e-mail address of the contact to remove.");
        return CommandFactory.Create("delete", "Remove a contact; removing the last one deletes the contact list.", [email],
            parse => async (vault, _, ct) =>
            {
                var contacts = await ContactsAsync(vault, ct).ConfigureAwait(false);
                var address = parse.GetValue(email)!;
                var kept = contacts.Where(c => !string.Equals(c.Email, address, StringComparison.OrdinalIgnoreCase)).ToList();
                if (kept.Count == contacts.Count)
                {
                    throw CliException.NotFound("ContactNotFound", $"--email: '{address}' is not a contact.");
                }

                if (kept.Count == 0)
                {
                    await vault.Certificates.DeleteContactsAsync(ct).ConfigureAwait(false);
                    return new JsonArray();
                }

                return CertificateOutput.Contacts(await vault.Certificates.SetContactsAsync(kept, ct).ConfigureAwait(false));
            });
    }
}
