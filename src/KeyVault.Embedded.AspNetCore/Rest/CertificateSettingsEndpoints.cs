using System.Text.Json;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Azure Key Vault's certificate issuers (<c>/certificates/issuers</c>) and contacts (<c>/certificates/contacts</c>).
/// An issuer of provider <c>VaultCertificate</c> (the vault's own CA) names its CA certificate in
/// <c>credentials.account_id</c>; an issuer of any other provider (an outside CA) records its account, organization
/// and administrators as Azure does (its password is never stored, nor returned by Azure).
/// </summary>
internal static class CertificateSettingsEndpoints
{
    public static void Map(RestRoutes routes)
    {
        routes.Map("GET", "/certificates/contacts", RestLimit.Vault, async r =>
        {
            var contacts = await r.Vault.Certificates.GetContactsAsync(r.Aborted).ConfigureAwait(false); // none: 404 ContactsNotFound, as Azure
            await r.WriteAsync(200, w => Contacts(w, r, contacts)).ConfigureAwait(false);
        });
        routes.Map("PUT", "/certificates/contacts", RestLimit.Vault, async r =>
        {
            if (RestJson.Get(r.Body, "contacts") is not { ValueKind: JsonValueKind.Array } list)
            {
                throw new RestBadRequestException("The request body needs 'contacts', an array.");
            }

            var contacts = list.EnumerateArray().Select(c => new CertificateContact
            {
                Email = RestJson.String(c, "email"),
                Name = RestJson.String(c, "name"),
                Phone = RestJson.String(c, "phone"),
            }).ToList();
            var set = await r.Vault.Certificates.SetContactsAsync(contacts, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Contacts(w, r, set)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/certificates/contacts", RestLimit.Vault, async r =>
        {
            var removed = await r.Vault.Certificates.DeleteContactsAsync(r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Contacts(w, r, removed)).ConfigureAwait(false);
        });
        routes.Map("GET", "/certificates/issuers", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Certificates.GetPropertiesOfIssuersAsync(r.Aborted), i => i.Name, (w, i) =>
        {
            w.WriteString("id", r.Id(i.Id));
            if (i.Provider is { } provider)
            {
                w.WriteString("provider", provider);
            }
        }));
        routes.Map("GET", "/certificates/issuers/{name}", RestLimit.Vault, async r =>
        {
            var issuer = await r.Vault.Certificates.GetIssuerAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Issuer(w, r, issuer)).ConfigureAwait(false);
        });
        routes.Map("PUT", "/certificates/issuers/{name}", RestLimit.Vault, async r =>
        {
            var body = r.Body;
            var issuer = new CertificateIssuer(r.Route("name"), RestJson.RequiredString(body, "provider"));
            Apply(body, issuer);
            var created = await r.Vault.Certificates.CreateIssuerAsync(issuer, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Issuer(w, r, created)).ConfigureAwait(false);
        });
        routes.Map("PATCH", "/certificates/issuers/{name}", RestLimit.Vault, async r =>
        {
            var body = r.Body;
            var current = await r.Vault.Certificates.GetIssuerAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            var provider = RestJson.String(body, "provider") ?? current.Provider;
            var issuer = new CertificateIssuer(current.Name, provider) { CertificateName = IsVault(provider) ? current.CertificateName : null, Enabled = current.Enabled };
            Apply(body, issuer);
            var updated = await r.Vault.Certificates.UpdateIssuerAsync(issuer, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Issuer(w, r, updated)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/certificates/issuers/{name}", RestLimit.Vault, async r =>
        {
            var deleted = await r.Vault.Certificates.DeleteIssuerAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Issuer(w, r, deleted)).ConfigureAwait(false);
        });
    }

    private static bool IsVault(string provider) => string.Equals(provider, CertificateIssuer.VaultCertificateProvider, StringComparison.OrdinalIgnoreCase);

    private static void Apply(JsonElement body, CertificateIssuer issuer)
    {
        if (RestJson.Object(body, "credentials") is { } credentials)
        {
            if (RestJson.String(credentials, "account_id") is { } account)
            {
                if (IsVault(issuer.Provider))
                {
                    issuer.CertificateName = account;
                }
                else
                {
                    issuer.AccountId = account;
                }
            }

            issuer.Password = RestJson.String(credentials, "pwd");
        }

        if (RestJson.Object(body, "org_details") is { } organization)
        {
            issuer.OrganizationId = RestJson.String(organization, "id");
            if (RestJson.Get(organization, "admin_details") is { ValueKind: JsonValueKind.Array } administrators)
            {
                foreach (var administrator in administrators.EnumerateArray())
                {
                    issuer.AdministratorContacts.Add(new AdministratorContact
                    {
                        FirstName = RestJson.String(administrator, "first_name"),
                        LastName = RestJson.String(administrator, "last_name"),
                        Email = RestJson.String(administrator, "email"),
                        Phone = RestJson.String(administrator, "phone"),
                    });
                }
            }
        }

        if (RestJson.Object(body, "attributes") is { } attributes && RestJson.Bool(attributes, "enabled") is { } enabled)
        {
            issuer.Enabled = enabled;
        }
    }

    private static void Issuer(Utf8JsonWriter w, RestRequest r, CertificateIssuer issuer)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id(issuer.Id));
        w.WriteString("provider", issuer.Provider);
        if ((IsVault(issuer.Provider) ? issuer.CertificateName : issuer.AccountId) is { } account)
        {
            w.WriteStartObject("credentials");
            w.WriteString("account_id", account);
            w.WriteEndObject();
        }

        if (issuer.OrganizationId is not null || issuer.AdministratorContacts.Count > 0)
        {
            w.WriteStartObject("org_details");
            if (issuer.OrganizationId is { } organization)
            {
                w.WriteString("id", organization);
            }

            w.WriteStartArray("admin_details");
            foreach (var administrator in issuer.AdministratorContacts)
            {
                w.WriteStartObject();
                WriteIfSet(w, "first_name", administrator.FirstName);
                WriteIfSet(w, "last_name", administrator.LastName);
                WriteIfSet(w, "email", administrator.Email);
                WriteIfSet(w, "phone", administrator.Phone);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteStartObject("attributes");
        if (issuer.Enabled is { } enabled)
        {
            w.WriteBoolean("enabled", enabled);
        }

        RestWriters.Unix(w, "created", issuer.CreatedOn);
        RestWriters.Unix(w, "updated", issuer.UpdatedOn);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void Contacts(Utf8JsonWriter w, RestRequest r, IList<CertificateContact> contacts)
    {
        w.WriteStartObject();
        w.WriteString("id", $"{r.Origin}/certificates/contacts");
        w.WriteStartArray("contacts");
        foreach (var contact in contacts)
        {
            w.WriteStartObject();
            if (contact.Email is { } email)
            {
                w.WriteString("email", email);
            }

            if (contact.Name is { } name)
            {
                w.WriteString("name", name);
            }

            if (contact.Phone is { } phone)
            {
                w.WriteString("phone", phone);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
