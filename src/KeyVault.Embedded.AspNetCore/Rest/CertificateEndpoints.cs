using System.Text;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Azure Key Vault's certificate operations: <c>/certificates</c> (create, import, versions, policy, the pending
/// operation and merge, backup, restore) and <c>/deletedcertificates</c>. Issuers and contacts are in
/// <see cref="CertificateSettingsEndpoints"/>.
/// </summary>
internal static class CertificateEndpoints
{
    public static void Map(RestRoutes routes)
    {
        // A create, import or restore makes the certificate's key: each counts as a key creation (as the key routes do).
        routes.Map("POST", "/certificates/{name}/create", RestLimit.KeyCreation, CreateAsync);
        routes.Map("POST", "/certificates/{name}/import", RestLimit.KeyCreation, ImportAsync);
        routes.Map("GET", "/certificates", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Certificates.GetPropertiesOfCertificatesAsync(r.QueryFlag("includePending"), r.Aborted), p => p.Name, (w, p) => CertificateJson.Item(w, r, p, versionless: true)));
        routes.Map("GET", "/certificates/{name}/versions", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Certificates.GetPropertiesOfCertificateVersionsAsync(r.Route("name"), r.Aborted), p => p.Version ?? string.Empty, (w, p) => CertificateJson.Item(w, r, p)));
        routes.Map("GET", "/certificates/{name}/{version?}", RestLimit.Vault, GetAsync);
        routes.Map("PATCH", "/certificates/{name}/{version?}", RestLimit.Vault, UpdateAsync);
        routes.Map("GET", "/certificates/{name}/policy", RestLimit.Vault, async r =>
        {
            var name = r.Route("name");
            var policy = await r.Vault.Certificates.GetCertificatePolicyAsync(name, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Policy(w, r, name, policy)).ConfigureAwait(false);
        });
        routes.Map("PATCH", "/certificates/{name}/policy", RestLimit.Vault, async r =>
        {
            var name = r.Route("name");
            var policy = await r.Vault.Certificates.GetCertificatePolicyAsync(name, r.Aborted).ConfigureAwait(false);
            CertificateJson.ApplyPolicy(r.Body, policy);
            var updated = await r.Vault.Certificates.UpdateCertificatePolicyAsync(name, policy, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Policy(w, r, name, updated)).ConfigureAwait(false);
        });
        routes.Map("GET", "/certificates/{name}/pending", RestLimit.Vault, async r =>
        {
            var operation = await r.Vault.Certificates.GetCertificateOperationAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Operation(w, r, operation.Properties)).ConfigureAwait(false);
        });
        routes.Map("PATCH", "/certificates/{name}/pending", RestLimit.Vault, async r =>
        {
            var operation = await r.Vault.Certificates.GetCertificateOperationAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            if (RestJson.Bool(r.Body, "cancellation_requested") == true)
            {
                await operation.CancelAsync(r.Aborted).ConfigureAwait(false);
            }

            await r.WriteAsync(200, w => CertificateJson.Operation(w, r, operation.Properties)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/certificates/{name}/pending", RestLimit.Vault, async r =>
        {
            var operation = await r.Vault.Certificates.GetCertificateOperationAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            var properties = operation.Properties;
            await operation.DeleteAsync(r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Operation(w, r, properties)).ConfigureAwait(false);
        });
        routes.Map("POST", "/certificates/{name}/pending/merge", RestLimit.Vault, MergeAsync);
        routes.Map("DELETE", "/certificates/{name}", RestLimit.Vault, async r =>
        {
            var deleted = (await r.Vault.Certificates.StartDeleteCertificateAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("POST", "/certificates/{name}/backup", RestLimit.Vault, async r =>
            await RestWriters.WriteBackupAsync(r, await r.Vault.Certificates.BackupCertificateAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).ConfigureAwait(false));
        routes.Map("POST", "/certificates/restore", RestLimit.KeyCreation, async r =>
        {
            var restored = await r.Vault.Certificates.RestoreCertificateBackupAsync(RestJson.RequiredBytes(r.Body, "value"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Bundle(w, r, restored)).ConfigureAwait(false);
        });
        routes.Map("GET", "/deletedcertificates", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Certificates.GetDeletedCertificatesAsync(r.QueryFlag("includePending"), r.Aborted), c => c.Name, (w, c) =>
        {
            CertificateJson.Item(w, r, c.Properties, versionless: true);
            RestWriters.Deleted(w, r, c.RecoveryId, c.DeletedOn, c.ScheduledPurgeDate);
        }));
        routes.Map("GET", "/deletedcertificates/{name}", RestLimit.Vault, async r =>
        {
            var deleted = await r.Vault.Certificates.GetDeletedCertificateAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/deletedcertificates/{name}", RestLimit.Vault, async r =>
        {
            await r.Vault.Certificates.PurgeDeletedCertificateAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteEmptyAsync(204).ConfigureAwait(false);
        });
        routes.Map("POST", "/deletedcertificates/{name}/recover", RestLimit.Vault, async r =>
        {
            var recovered = (await r.Vault.Certificates.StartRecoverDeletedCertificateAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => CertificateJson.Bundle(w, r, recovered)).ConfigureAwait(false);
        });
        CertificateSettingsEndpoints.Map(routes);
    }

    private static async Task CreateAsync(RestRequest r)
    {
        var body = r.Body;
        var name = r.Route("name");
        var policy = CertificateJson.NewPolicy(RestJson.Object(body, "policy") ?? throw new RestBadRequestException("The request body needs 'policy'."));
        var enabled = RestJson.Object(body, "attributes") is { } attributes ? RestJson.Bool(attributes, "enabled") : null;
        var operation = await r.Vault.Certificates.StartCreateCertificateAsync(name, policy, enabled, RestJson.Tags(body), r.Aborted).ConfigureAwait(false);
        r.Context.Response.Headers.Location = $"{r.Origin}/certificates/{Uri.EscapeDataString(name)}/pending?api-version={Uri.EscapeDataString(r.ApiVersion)}";
        await r.WriteAsync(202, w => CertificateJson.Operation(w, r, operation.Properties)).ConfigureAwait(false);
    }

    private static async Task ImportAsync(RestRequest r)
    {
        var body = r.Body;
        var value = RestJson.RequiredString(body, "value");
        var policyJson = RestJson.Object(body, "policy");
        var pem = value.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal);
        var bytes = pem ? Encoding.UTF8.GetBytes(value) : RestJson.Base64(value, "value");
        try
        {
            var options = new ImportCertificateOptions(r.Route("name"), bytes) { Password = RestJson.String(body, "pwd") };
            if (policyJson is { } json)
            {
                options.Policy = CertificateJson.NewPolicy(json, issuer: string.Empty);
            }

            if (RestJson.Object(body, "attributes") is { } attributes)
            {
                options.Enabled = RestJson.Bool(attributes, "enabled");
            }

            foreach (var (tag, tagValue) in RestJson.Tags(body) ?? [])
            {
                options.Tags[tag] = tagValue;
            }

            var imported = await r.Vault.Certificates.ImportCertificateAsync(options, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => CertificateJson.Bundle(w, r, imported)).ConfigureAwait(false);
        }
        finally
        {
            // The PFX or PEM carries the private key.
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static async Task GetAsync(RestRequest r)
    {
        var name = r.Route("name");
        KeyVaultCertificate certificate = r.OptionalRoute("version") is { } version
            ? await r.Vault.Certificates.GetCertificateVersionAsync(name, version, r.Aborted).ConfigureAwait(false)
            : await r.Vault.Certificates.GetCertificateAsync(name, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => CertificateJson.Bundle(w, r, certificate)).ConfigureAwait(false);
    }

    private static async Task UpdateAsync(RestRequest r)
    {
        var name = r.Route("name");
        var body = r.Body;
        var version = r.OptionalRoute("version");

        // Without a version the vault updates the current one (no read of the certificate first).
        var properties = version is null
            ? new CertificateProperties(name)
            : r.VersionProperties("certificates", name, version, id => new CertificateProperties(id));

        // The whole body is read before anything is written, and the properties (which name the version and whose
        // rules are the vault's) are written before the policy: a malformed member, an unknown version or a refused
        // attribute leaves the policy as it was.
        RestWriters.ApplyAttributes(body, properties);
        CertificatePolicy? policy = null;
        if (RestJson.Object(body, "policy") is { } policyJson)
        {
            policy = await r.Vault.Certificates.GetCertificatePolicyAsync(name, r.Aborted).ConfigureAwait(false);
            CertificateJson.ApplyPolicy(policyJson, policy);
        }

        var updated = await r.Vault.Certificates.UpdateCertificatePropertiesAsync(properties, r.Aborted).ConfigureAwait(false);
        if (policy is not null)
        {
            await r.Vault.Certificates.UpdateCertificatePolicyAsync(name, policy, r.Aborted).ConfigureAwait(false);
        }

        await r.WriteAsync(200, w => CertificateJson.Bundle(w, r, updated)).ConfigureAwait(false);
    }

    private static async Task MergeAsync(RestRequest r)
    {
        var body = r.Body;
        var x5c = RestJson.Strings(body, "x5c") ?? throw new RestBadRequestException("The request body needs 'x5c', the certificate chain.");
        var options = new MergeCertificateOptions(r.Route("name"), x5c.Select(c => RestJson.Base64(c, "x5c")));
        if (RestJson.Object(body, "attributes") is { } attributes)
        {
            options.Enabled = RestJson.Bool(attributes, "enabled");
        }

        foreach (var (tag, value) in RestJson.Tags(body) ?? [])
        {
            options.Tags[tag] = value;
        }

        var merged = await r.Vault.Certificates.MergeCertificateAsync(options, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(201, w => CertificateJson.Bundle(w, r, merged)).ConfigureAwait(false);
    }

    private static void Deleted(System.Text.Json.Utf8JsonWriter w, RestRequest r, DeletedCertificate c) =>
        CertificateJson.Bundle(w, r, c, x => RestWriters.Deleted(x, r, c.RecoveryId, c.DeletedOn, c.ScheduledPurgeDate));
}
