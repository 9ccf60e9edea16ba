using System.Security.Cryptography;
using System.Text.Json;
using KeyVault.Embedded.Keys;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>Azure Key Vault's key operations: <c>/keys</c>, <c>/deletedkeys</c> and <c>/rng</c>.</summary>
internal static class KeyEndpoints
{
    public static void Map(RestRoutes routes)
    {
        routes.Map("POST", "/keys/{name}/create", RestLimit.KeyCreation, CreateAsync);
        routes.Map("PUT", "/keys/{name}", RestLimit.KeyCreation, ImportAsync);
        routes.Map("GET", "/keys", RestLimit.Key, r => RestPaging.WriteAsync(r, r.Vault.Keys.GetPropertiesOfKeysAsync(r.Aborted), p => p.Name, (w, p) => Item(w, r, p, versionless: true)));
        routes.Map("GET", "/keys/{name}/versions", RestLimit.Key, r => RestPaging.WriteAsync(r, r.Vault.Keys.GetPropertiesOfKeyVersionsAsync(r.Route("name"), r.Aborted), p => p.Version ?? string.Empty, (w, p) => Item(w, r, p)));
        routes.Map("GET", "/keys/{name}/{version?}", RestLimit.Key, async r =>
        {
            var key = await r.Vault.Keys.GetKeyAsync(r.Route("name"), r.OptionalRoute("version"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
        });
        routes.Map("PATCH", "/keys/{name}/{version?}", RestLimit.Key, UpdateAsync);
        routes.Map("DELETE", "/keys/{name}", RestLimit.Key, async r =>
        {
            var deleted = (await r.Vault.Keys.StartDeleteKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("POST", "/keys/{name}/rotate", RestLimit.KeyCreation, async r =>
        {
            var key = await r.Vault.Keys.RotateKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
        });
        routes.Map("GET", "/keys/{name}/rotationpolicy", RestLimit.Key, async r =>
        {
            var policy = await r.Vault.Keys.GetKeyRotationPolicyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Policy(w, r, r.Route("name"), policy)).ConfigureAwait(false);
        });
        routes.Map("PUT", "/keys/{name}/rotationpolicy", RestLimit.Key, UpdatePolicyAsync);
        routes.Map("POST", "/keys/{name}/backup", RestLimit.Key, async r =>
            await RestWriters.WriteBackupAsync(r, await r.Vault.Keys.BackupKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).ConfigureAwait(false));
        routes.Map("POST", "/keys/restore", RestLimit.KeyCreation, async r =>
        {
            var key = await r.Vault.Keys.RestoreKeyBackupAsync(RestJson.RequiredBytes(r.Body, "value"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
        });
        routes.Map("GET", "/deletedkeys", RestLimit.Key, r => RestPaging.WriteAsync(r, r.Vault.Keys.GetDeletedKeysAsync(r.Aborted), k => k.Name, (w, k) => DeletedItem(w, r, k)));
        routes.Map("GET", "/deletedkeys/{name}", RestLimit.Key, async r =>
        {
            var deleted = await r.Vault.Keys.GetDeletedKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Deleted(w, r, deleted)).ConfigureAwait(false);
        });
        routes.Map("DELETE", "/deletedkeys/{name}", RestLimit.Key, async r =>
        {
            await r.Vault.Keys.PurgeDeletedKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false);
            await r.WriteEmptyAsync(204).ConfigureAwait(false);
        });
        routes.Map("POST", "/deletedkeys/{name}/recover", RestLimit.Key, async r =>
        {
            var key = (await r.Vault.Keys.StartRecoverDeletedKeyAsync(r.Route("name"), r.Aborted).ConfigureAwait(false)).Value;
            await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
        });
        routes.Map("POST", "/rng", RestLimit.Key, async r =>
        {
            var count = RestJson.Int(r.Body, "count") ?? throw new RestBadRequestException("The request body needs 'count'.");
            var bytes = await r.Vault.Keys.GetRandomBytesAsync(count, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w =>
            {
                w.WriteStartObject();
                RestWriters.Base64Url(w, "value", bytes);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        });
        KeyOperationEndpoints.Map(routes);
    }

    /// <summary>Why key release, exportable keys and release policies are refused.</summary>
    internal const string NoRelease = "Key release is not supported by this vault: no key leaves it, so 'exportable' keys, 'release_policy' and the release operation are refused (in Azure they need a premium vault or a Managed HSM, and an attestation service).";

    /// <summary>Refuses what asks for key release: <c>attributes.exportable</c> true, or a <c>release_policy</c>.</summary>
    private static void RefuseRelease(JsonElement body)
    {
        if (RestJson.Object(body, "release_policy") is not null || (RestJson.Object(body, "attributes") is { } attributes && RestJson.Bool(attributes, "exportable") == true))
        {
            throw new RestBadRequestException(NoRelease);
        }
    }

    private static async Task CreateAsync(RestRequest r)
    {
        var body = r.Body;
        RefuseRelease(body);
        var name = r.Route("name");
        var kty = new KeyType(RestJson.RequiredString(body, "kty"));
        var hsm = kty == KeyType.RsaHsm || kty == KeyType.EcHsm || kty == KeyType.OctHsm;
        CreateKeyOptions options;
        if (kty == KeyType.Rsa || kty == KeyType.RsaHsm)
        {
            options = new CreateRsaKeyOptions(name, hsm) { KeySize = RestJson.Int(body, "key_size"), PublicExponent = RestJson.Int(body, "public_exponent") };
        }
        else if (kty == KeyType.Ec || kty == KeyType.EcHsm)
        {
            options = new CreateEcKeyOptions(name, hsm) { CurveName = RestJson.String(body, "crv") is { } crv ? new KeyCurveName(crv) : (KeyCurveName?)null };
        }
        else if (kty == KeyType.Oct || kty == KeyType.OctHsm)
        {
            options = new CreateOctKeyOptions(name, hsm) { KeySize = RestJson.Int(body, "key_size") };
        }
        else
        {
            throw new RestBadRequestException($"'kty' must be one of RSA, RSA-HSM, EC, EC-HSM, oct, oct-HSM.");
        }

        if (RestJson.Strings(body, "key_ops") is { } ops)
        {
            foreach (var op in ops)
            {
                options.KeyOperations.Add(new KeyOperation(op));
            }
        }

        if (RestJson.Object(body, "attributes") is { } attributes)
        {
            options.Enabled = RestJson.Bool(attributes, "enabled");
            options.NotBefore = RestJson.UnixTime(attributes, "nbf");
            options.ExpiresOn = RestJson.UnixTime(attributes, "exp");
        }

        foreach (var (tag, value) in RestJson.Tags(body) ?? [])
        {
            options.Tags[tag] = value;
        }

        var key = options switch
        {
            CreateRsaKeyOptions rsa => await r.Vault.Keys.CreateRsaKeyAsync(rsa, r.Aborted).ConfigureAwait(false),
            CreateEcKeyOptions ec => await r.Vault.Keys.CreateEcKeyAsync(ec, r.Aborted).ConfigureAwait(false),
            _ => await r.Vault.Keys.CreateOctKeyAsync((CreateOctKeyOptions)options, r.Aborted).ConfigureAwait(false),
        };
        await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
    }

    private static async Task ImportAsync(RestRequest r)
    {
        var body = r.Body;
        RefuseRelease(body);
        var jwkElement = RestJson.Object(body, "key") ?? throw new RestBadRequestException("The request body needs 'key', a JSON Web Key.");
        JsonWebKey jwk;
        try
        {
            jwk = jwkElement.Deserialize(JsonWebKeyJsonContext.Default.JsonWebKey) ?? throw new RestBadRequestException("'key' must be a JSON Web Key.");
        }
        catch (JsonException)
        {
            throw new RestBadRequestException("'key' is not a JSON Web Key (each member of the right kind, binary members in base64url).");
        }

        try
        {
            if (RestJson.Bool(body, "Hsm") == true)
            {
                jwk.KeyType = jwk.KeyType == KeyType.Rsa ? KeyType.RsaHsm : jwk.KeyType == KeyType.Ec ? KeyType.EcHsm : jwk.KeyType == KeyType.Oct ? KeyType.OctHsm : jwk.KeyType;
            }

            var options = new ImportKeyOptions(r.Route("name"), jwk);
            RestWriters.ApplyAttributes(body, options.Properties);
            var key = await r.Vault.Keys.ImportKeyAsync(options, r.Aborted).ConfigureAwait(false);
            await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var part in new[] { jwk.D, jwk.DP, jwk.DQ, jwk.P, jwk.Q, jwk.QI, jwk.K })
            {
                CryptographicOperations.ZeroMemory(part);
            }
        }
    }

    private static async Task UpdateAsync(RestRequest r)
    {
        RefuseRelease(r.Body);

        // Without a version the vault updates the current one (no read of the key first, which would need keys/read).
        var name = r.Route("name");
        var properties = KeyModelFactory.KeyProperties(name, r.OptionalRoute("version"), r.Vault.Properties.VaultUri);
        var body = r.Body;
        RestWriters.ApplyAttributes(body, properties);
        var ops = RestJson.Strings(body, "key_ops")?.Select(op => new KeyOperation(op)).ToList();
        var key = await r.Vault.Keys.UpdateKeyPropertiesAsync(properties, ops, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => Bundle(w, r, key)).ConfigureAwait(false);
    }

    private static async Task UpdatePolicyAsync(RestRequest r)
    {
        var body = r.Body;
        var policy = new KeyRotationPolicy();
        if (RestJson.Object(body, "attributes") is { } attributes)
        {
            policy.ExpiresIn = RestJson.String(attributes, "expiryTime");
        }

        if (RestJson.Get(body, "lifetimeActions") is { } actions)
        {
            if (actions.ValueKind != JsonValueKind.Array)
            {
                throw new RestBadRequestException("'lifetimeActions' must be an array.");
            }

            foreach (var item in actions.EnumerateArray())
            {
                var type = RestJson.Object(item, "action") is { } action ? RestJson.String(action, "type") : null;
                var trigger = RestJson.Object(item, "trigger");
                var lifetimeAction = new KeyRotationLifetimeAction(new KeyRotationPolicyAction(type ?? throw new RestBadRequestException("Each of 'lifetimeActions' needs 'action.type'.")))
                {
                    TimeAfterCreate = trigger is { } t ? RestJson.String(t, "timeAfterCreate") : null,
                    TimeBeforeExpiry = trigger is { } u ? RestJson.String(u, "timeBeforeExpiry") : null,
                };
                policy.LifetimeActions.Add(lifetimeAction);
            }
        }

        var name = r.Route("name");
        var updated = await r.Vault.Keys.UpdateKeyRotationPolicyAsync(name, policy, r.Aborted).ConfigureAwait(false);
        await r.WriteAsync(200, w => Policy(w, r, name, updated)).ConfigureAwait(false);
    }

    private static void Policy(Utf8JsonWriter w, RestRequest r, string name, KeyRotationPolicy policy)
    {
        w.WriteStartObject();
        w.WriteString("id", $"{r.Origin}/keys/{Uri.EscapeDataString(name)}/rotationpolicy");
        w.WriteStartArray("lifetimeActions");
        foreach (var action in policy.LifetimeActions)
        {
            w.WriteStartObject();
            w.WriteStartObject("trigger");
            if (action.TimeAfterCreate is { } after)
            {
                w.WriteString("timeAfterCreate", after);
            }

            if (action.TimeBeforeExpiry is { } before)
            {
                w.WriteString("timeBeforeExpiry", before);
            }

            w.WriteEndObject();
            w.WriteStartObject("action");
            w.WriteString("type", action.Action.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("attributes");
        if (policy.ExpiresIn is { } expiresIn)
        {
            w.WriteString("expiryTime", expiresIn);
        }

        RestWriters.Unix(w, "created", policy.CreatedOn);
        RestWriters.Unix(w, "updated", policy.UpdatedOn);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Azure's <c>KeyBundle</c>: the public JSON Web Key, attributes, tags.</summary>
    public static void Bundle(Utf8JsonWriter w, RestRequest r, KeyVaultKey key)
    {
        w.WriteStartObject();
        Fields(w, r, key);
        w.WriteEndObject();
    }

    private static void Fields(Utf8JsonWriter w, RestRequest r, KeyVaultKey key)
    {
        var jwk = key.Key;
        w.WriteStartObject("key");
        w.WriteString("kid", r.Id(key.Id));
        w.WriteString("kty", key.KeyType.ToString());
        w.WriteStartArray("key_ops");
        foreach (var op in key.KeyOperations)
        {
            w.WriteStringValue(op.ToString());
        }

        w.WriteEndArray();
        if (jwk.N is { } n)
        {
            RestWriters.Base64Url(w, "n", n);
        }

        if (jwk.E is { } e)
        {
            RestWriters.Base64Url(w, "e", e);
        }

        if (jwk.CurveName is { } crv)
        {
            w.WriteString("crv", crv.ToString());
        }

        if (jwk.X is { } x)
        {
            RestWriters.Base64Url(w, "x", x);
        }

        if (jwk.Y is { } y)
        {
            RestWriters.Base64Url(w, "y", y);
        }

        w.WriteEndObject();
        RestWriters.Attributes(w, key.Properties);
        RestWriters.Tags(w, key.Properties.Tags);
        if (key.Properties.Managed)
        {
            w.WriteBoolean("managed", true);
        }
    }

    /// <summary>Azure's <c>KeyItem</c>.</summary>
    private static void Item(Utf8JsonWriter w, RestRequest r, KeyProperties p, bool versionless = false)
    {
        w.WriteString("kid", versionless ? r.ObjectId(p.Id) : r.Id(p.Id));
        RestWriters.Attributes(w, p);
        RestWriters.Tags(w, p.Tags);
        if (p.Managed)
        {
            w.WriteBoolean("managed", true);
        }
    }

    private static void Deleted(Utf8JsonWriter w, RestRequest r, DeletedKey key)
    {
        w.WriteStartObject();
        Fields(w, r, key);
        RestWriters.Deleted(w, r, key.RecoveryId, key.DeletedOn, key.ScheduledPurgeDate);
        w.WriteEndObject();
    }

    private static void DeletedItem(Utf8JsonWriter w, RestRequest r, DeletedKey key)
    {
        Item(w, r, key.Properties, versionless: true);
        RestWriters.Deleted(w, r, key.RecoveryId, key.DeletedOn, key.ScheduledPurgeDate);
    }
}
