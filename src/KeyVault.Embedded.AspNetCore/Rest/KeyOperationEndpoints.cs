using System.Security.Cryptography;
using System.Text.Json;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Azure Key Vault's key operations: <c>encrypt</c>, <c>decrypt</c>, <c>sign</c>, <c>verify</c>, <c>wrapkey</c>,
/// <c>unwrapkey</c> on <c>/keys/{name}/{version}/...</c> (and without a version: the current one). Each runs through
/// the vault's cryptography client, so key state, allowed operations, validity, access control and audit apply (one
/// client per key name and version, kept across requests: <see cref="CryptographyClientCache"/>).
/// Plaintext and unwrapped keys are zeroed once written.
/// </summary>
internal static class KeyOperationEndpoints
{
    private static readonly Dictionary<string, Func<RestRequest, CryptographyClientCache, Task>> Operations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["encrypt"] = EncryptAsync,
        ["decrypt"] = DecryptAsync,
        ["sign"] = SignAsync,
        ["verify"] = VerifyAsync,
        ["wrapkey"] = WrapAsync,
        ["unwrapkey"] = UnwrapAsync,
        ["release"] = ReleaseAsync,
    };

    public static void Map(RestRoutes routes)
    {
        var clients = new CryptographyClientCache();
        foreach (var prefix in new[] { "/keys/{name}/{version}", "/keys/{name}" })
        {
            foreach (var (operation, handler) in Operations)
            {
                routes.Map("POST", $"{prefix}/{operation}", RestLimit.Key, r => handler(r, clients));
            }
        }

        // An empty version, /keys/{name}//sign, is the current version, as Azure takes it: the Azure SDK for
        // JavaScript's CryptographyClient for a key id without a version posts there. A route parameter never matches
        // an empty segment, so this catch-all (tried after every other route) takes it.
        routes.Map("POST", "/keys/{name}/{**rest}", RestLimit.Key, r =>
            r.OptionalRoute("rest") is { Length: > 1 } rest && rest[0] == '/' && Operations.TryGetValue(rest[1..], out var handler)
                ? handler(r, clients)
                : RestResponse.WriteErrorAsync(r.Context, 404, "NotFound", "The path names no key operation."));
    }

    private static string Algorithm(RestRequest r) => RestJson.RequiredString(r.Body, "alg");

    /// <summary>
    /// Azure's secure key release: a key that does not exist is <c>KeyNotFound</c>, as Azure answers; any other is
    /// refused (400), since no key of this vault is exportable (creating one with <c>exportable</c> or a
    /// <c>release_policy</c> is refused too).
    /// </summary>
    private static async Task ReleaseAsync(RestRequest r, CryptographyClientCache clients)
    {
        _ = await r.Vault.Keys.GetKeyAsync(r.Route("name"), r.OptionalRoute("version") is { Length: > 0 } version ? version : null, r.Aborted).ConfigureAwait(false);
        throw new RestBadRequestException(KeyEndpoints.NoRelease);
    }

    private static async Task EncryptAsync(RestRequest r, CryptographyClientCache clients)
    {
        var body = r.Body;
        var alg = Algorithm(r);
        var plaintext = RestJson.RequiredBytes(body, "value");
        try
        {
            var iv = RestJson.Bytes(body, "iv");
            var aad = RestJson.Bytes(body, "aad");
            var parameters = alg switch
            {
                "RSA1_5" => EncryptParameters.Rsa15Parameters(plaintext),
                "RSA-OAEP" => EncryptParameters.RsaOaepParameters(plaintext),
                "RSA-OAEP-256" => EncryptParameters.RsaOaep256Parameters(plaintext),
                "A128GCM" => EncryptParameters.A128GcmParameters(plaintext, aad),
                "A192GCM" => EncryptParameters.A192GcmParameters(plaintext, aad),
                "A256GCM" => EncryptParameters.A256GcmParameters(plaintext, aad),
                "A128CBCPAD" => EncryptParameters.A128CbcPadParameters(plaintext, iv),
                "A192CBCPAD" => EncryptParameters.A192CbcPadParameters(plaintext, iv),
                "A256CBCPAD" => EncryptParameters.A256CbcPadParameters(plaintext, iv),
                _ => throw UnknownAlgorithm(alg, "RSA1_5, RSA-OAEP, RSA-OAEP-256, A128GCM, A192GCM, A256GCM, A128CBCPAD, A192CBCPAD, A256CBCPAD"),
            };
            var result = await clients.RunAsync(r, c => c.EncryptAsync(parameters, r.Aborted)).ConfigureAwait(false);
            await r.WriteAsync(200, w =>
            {
                w.WriteStartObject();
                w.WriteString("kid", KeyId(r, result.KeyId));
                RestWriters.Base64Url(w, "value", result.Ciphertext);
                Optional(w, "iv", result.Iv);
                Optional(w, "tag", result.AuthenticationTag);
                Optional(w, "aad", result.AdditionalAuthenticatedData);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static async Task DecryptAsync(RestRequest r, CryptographyClientCache clients)
    {
        var body = r.Body;
        var alg = Algorithm(r);
        var ciphertext = RestJson.RequiredBytes(body, "value");
        var iv = RestJson.Bytes(body, "iv");
        var tag = RestJson.Bytes(body, "tag");
        var aad = RestJson.Bytes(body, "aad");
        var parameters = alg switch
        {
            "RSA1_5" => DecryptParameters.Rsa15Parameters(ciphertext),
            "RSA-OAEP" => DecryptParameters.RsaOaepParameters(ciphertext),
            "RSA-OAEP-256" => DecryptParameters.RsaOaep256Parameters(ciphertext),
            "A128GCM" => DecryptParameters.A128GcmParameters(ciphertext, Required(iv, "iv"), Required(tag, "tag"), aad),
            "A192GCM" => DecryptParameters.A192GcmParameters(ciphertext, Required(iv, "iv"), Required(tag, "tag"), aad),
            "A256GCM" => DecryptParameters.A256GcmParameters(ciphertext, Required(iv, "iv"), Required(tag, "tag"), aad),
            "A128CBCPAD" => DecryptParameters.A128CbcPadParameters(ciphertext, Required(iv, "iv")),
            "A192CBCPAD" => DecryptParameters.A192CbcPadParameters(ciphertext, Required(iv, "iv")),
            "A256CBCPAD" => DecryptParameters.A256CbcPadParameters(ciphertext, Required(iv, "iv")),
            _ => throw UnknownAlgorithm(alg, "RSA1_5, RSA-OAEP, RSA-OAEP-256, A128GCM, A192GCM, A256GCM, A128CBCPAD, A192CBCPAD, A256CBCPAD"),
        };
        var result = await clients.RunAsync(r, c => c.DecryptAsync(parameters, r.Aborted)).ConfigureAwait(false);
        try
        {
            await r.WriteAsync(200, w =>
            {
                w.WriteStartObject();
                w.WriteString("kid", KeyId(r, result.KeyId));
                RestWriters.Base64Url(w, "value", result.Plaintext);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(result.Plaintext);
        }
    }

    private static async Task SignAsync(RestRequest r, CryptographyClientCache clients)
    {
        var alg = new SignatureAlgorithm(Algorithm(r));
        var digest = RestJson.RequiredBytes(r.Body, "value");
        var result = await clients.RunAsync(r, c => c.SignAsync(alg, digest, r.Aborted)).ConfigureAwait(false);
        await r.WriteAsync(200, w =>
        {
            w.WriteStartObject();
            w.WriteString("kid", KeyId(r, result.KeyId));
            RestWriters.Base64Url(w, "value", result.Signature);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task VerifyAsync(RestRequest r, CryptographyClientCache clients)
    {
        var body = r.Body;
        var alg = new SignatureAlgorithm(Algorithm(r));
        var digest = RestJson.RequiredBytes(body, "digest");
        var signature = RestJson.RequiredBytes(body, "value");
        var result = await clients.RunAsync(r, c => c.VerifyAsync(alg, digest, signature, r.Aborted)).ConfigureAwait(false);
        await r.WriteAsync(200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("value", result.IsValid);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task WrapAsync(RestRequest r, CryptographyClientCache clients)
    {
        var alg = new KeyWrapAlgorithm(Algorithm(r));
        var key = RestJson.RequiredBytes(r.Body, "value");
        try
        {
            var result = await clients.RunAsync(r, c => c.WrapKeyAsync(alg, key, r.Aborted)).ConfigureAwait(false);
            await r.WriteAsync(200, w =>
            {
                w.WriteStartObject();
                w.WriteString("kid", KeyId(r, result.KeyId));
                RestWriters.Base64Url(w, "value", result.EncryptedKey);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static async Task UnwrapAsync(RestRequest r, CryptographyClientCache clients)
    {
        var alg = new KeyWrapAlgorithm(Algorithm(r));
        var encrypted = RestJson.RequiredBytes(r.Body, "value");
        var result = await clients.RunAsync(r, c => c.UnwrapKeyAsync(alg, encrypted, r.Aborted)).ConfigureAwait(false);
        try
        {
            await r.WriteAsync(200, w =>
            {
                w.WriteStartObject();
                w.WriteString("kid", KeyId(r, result.KeyId));
                RestWriters.Base64Url(w, "value", result.Key);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(result.Key);
        }
    }

    private static string KeyId(RestRequest r, string? keyId) => keyId is null ? string.Empty : Uri.TryCreate(keyId, UriKind.Absolute, out var id) ? r.Id(id) : keyId;

    private static byte[] Required(byte[]? value, string name) => value ?? throw new RestBadRequestException($"The request body needs '{name}' for this algorithm.");

    private static RestBadRequestException UnknownAlgorithm(string alg, string known) =>
        new($"'alg' {(alg.Length <= 32 ? alg : "(too long)")} is not an algorithm of this operation; use one of {known}.");

    private static void Optional(Utf8JsonWriter w, string name, byte[]? value)
    {
        if (value is { Length: > 0 })
        {
            RestWriters.Base64Url(w, name, value);
        }
    }
}
