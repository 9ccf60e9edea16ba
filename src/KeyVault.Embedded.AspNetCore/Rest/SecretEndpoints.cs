using System.Text.Json;
using KeyVault.Embedded.Secrets;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>Azure Key Vault's secret operations: <c>/secrets</c> and <c>/deletedsecrets</c>.</summary>
internal static class SecretEndpoints
{
    public static void Map(RestRoutes routes)
    {
        routes.Map("PUT", "/secrets/{name}", RestLimit.Vault, SetAsync);
        routes.Map("GET", "/secrets", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Secrets.GetPropertiesOfSecretsAsync(r.Aborted), p => p.Name, (w, p) => Item(w, r, p, versionless: true)));
        routes.Map("GET", "/secrets/{name}/versions", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Secrets.GetPropertiesOfSecretVersionsAsync(r.Route("name"), r.Aborted), p => p.Version ?? string.Empty, (w, p) => Item(w, r, p)));
        routes.Map("GET", "/secrets/{name}/{version?}", RestLimit.Vault, GetAsync);
        routes.Map("PATCH", "/secrets/{name}/{version?}", RestLimit.Vault, UpdateAsync);
        routes.Map("DELETE", "/secrets/{name}", RestLimit.Vault, async r =>
        {
            var deleted = (await r.Vault.Secrets.StartDeleteSecretAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("POST", "/secrets/{name}/backup", RestLimit.Vault, async r =>
            await RestWriters.WriteBackupAsync(r, await r.Vault.Secrets.BackupSecretAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).ConfigureAwait(false));
        routes.Map("POST", "/secrets/restore", RestLimit.Vault, async r =>
        {
            var restored = await r.Vault.Secrets.RestoreSecretBackupAsync(RestJson.RequiredBytes(r.Body, "value"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Bundle(w, r, restored, null)).ConfigureAwait(false);
        });
        routes.Map("GET", "/deletedsecrets", RestLimit.Vault, r => RestPaging.WriteAsync(r, r.Vault.Secrets.GetDeletedSecretsAsync(r.Aborted), s => s.Name, (w, s) => DeletedItem(w, r, s)));
        routes.Map("GET", "/deletedsecrets/{name}", RestLimit.Vault, async r =>
        {
            var deleted = await r.Vault.Secrets.GetDeletedSecretAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/deletedsecrets/{name}", RestLimit.Vault, async r =>
        {
            await r.Vault.Secrets.PurgeDeletedSecretAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteEmptyAsync(204).ConfigureAwait(false);
        });
        routes.Map("POST", "/deletedsecrets/{name}/recover", RestLimit.Vault, async r =>
        {
            var recovered = (await r.Vault.Secrets.StartRecoverDeletedSecretAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => Bundle(w, r, recovered, null)).ConfigureAwait(false);
        });
    }

    private static async Task SetAsync(RestRequest r)
    {
        var body = r.Body;
        var secret = new KeyVaultSecret(r.Route("name"), RestJson.RequiredString(body, "value"));
        secret.Properties.ContentType = RestJson.String(body, "contentType");
        RestWriters.ApplyAttributes(body, secret.Properties);
        var set = await r.Vault.Secrets.SetSecretAsync(secret, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => Bundle(w, r, set.Properties, set.Value)).ConfigureAwait(false);
    }

    private static async Task GetAsync(RestRequest r)
    {
        SecretContentType? outContentType = r.Query("outContentType") is { } type ? new SecretContentType(type) : (SecretContentType?)null;
        var secret = await r.Vault.Secrets.GetSecretAsync(r.Route("name"), r.OptionalRoute("version"), outContentType, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => Bundle(w, r, secret.Properties, secret.Value)).ConfigureAwait(false);
    }

    private static async Task UpdateAsync(RestRequest r)
    {
        // Without a version the vault updates the current one: reading it first would need (and audit) the value.
        var name = r.Route("name");
        var properties = r.OptionalRoute("version") is { } version
            ? r.VersionProperties("secrets", name, version, id => new SecretProperties(id))
            : new SecretProperties(name);
        var body = r.Body;
        properties.ContentType = RestJson.String(body, "contentType");
        RestWriters.ApplyAttributes(body, properties);
        var updated = await r.Vault.Secrets.UpdateSecretPropertiesAsync(properties, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => Bundle(w, r, updated, null)).ConfigureAwait(false);
    }

    /// <summary>Azure's <c>SecretBundle</c> (the value only where the operation returns it).</summary>
    public static void Bundle(Utf8JsonWriter w, RestRequest r, SecretProperties p, string? value)
    {
        w.WriteStartObject();
        Fields(w, r, p, value);
        w.WriteEndObject();
    }

    private static void Fields(Utf8JsonWriter w, RestRequest r, SecretProperties p, string? value)
    {
        if (value is not null)
        {
            w.WriteString("value", value);
        }

        w.WriteString("id", r.Id(p.Id));
        if (p.ContentType is { } contentType)
        {
            w.WriteString("contentType", contentType);
        }

        RestWriters.Attributes(w, p);
        RestWriters.Tags(w, p.Tags);
        if (p.KeyId is { } kid)
        {
            w.WriteString("kid", r.Id(kid));
        }

        if (p.Managed)
        {
            w.WriteBoolean("managed", true);
        }

        if (p.PreviousVersion is { } previous)
        {
            w.WriteString("previousVersion", previous);
        }
    }

    /// <summary>Azure's <c>SecretItem</c> (inside a list's object).</summary>
    private static void Item(Utf8JsonWriter w, RestRequest r, SecretProperties p, bool versionless = false)
    {
        w.WriteString("id", versionless ? r.ObjectId(p.Id) : r.Id(p.Id));
        RestWriters.Attributes(w, p);
        RestWriters.Tags(w, p.Tags);
        if (p.ContentType is { } contentType)
        {
            w.WriteString("contentType", contentType);
        }

        if (p.Managed)
        {
            w.WriteBoolean("managed", true);
        }
    }

    private static void Deleted(Utf8JsonWriter w, RestRequest r, DeletedSecret s)
    {
        w.WriteStartObject();
        Fields(w, r, s.Properties, null);
        RestWriters.Deleted(w, r, s.RecoveryId, s.DeletedOn, s.ScheduledPurgeDate);
        w.WriteEndObject();
    }

    private static void DeletedItem(Utf8JsonWriter w, RestRequest r, DeletedSecret s)
    {
        Item(w, r, s.Properties, versionless: true);
        RestWriters.Deleted(w, r, s.RecoveryId, s.DeletedOn, s.ScheduledPurgeDate);
    }
}
