using System.Text.Json;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Azure Key Vault's certificate issuers (<c>/certificates/issuers</c>) and contacts (<c>/certificates/contacts</c>).
/// An issuer of provider <c>VaultCertificate</c> (the vault's own CA) names its CA certificate in
/// <c>credentials.account_id</c>.
/// </summary>
internal static class CertificateSettingsEndpoints
{
    public static void Map(RestRoutes routes)
    {
        routes.Map("GET", "/certificates/contacts", RestLimit.Vault, async r =>
        {
            var contacts = await r.Vault.Certificates.GetContactsAsync(r.Aborted).ConfigureAwait(false);
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
            var issuer = new CertificateIssuer(current.Name, RestJson.String(body, "provider") ?? current.Provider) { CertificateName = current.CertificateName, Enabled = current.Enabled };
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

    private static void Apply(JsonElement body, CertificateIssuer issuer)
    {
        if (RestJson.Object(body, "credentials") is { } credentials && RestJson.String(credentials, "account_id") is { } account)
        {
            issuer.CertificateName = account;
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
        if (issuer.CertificateName is { } certificate)
        {
            w.WriteStartObject("credentials");
            w.WriteString("account_id", certificate);
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
