using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.AspNetCore.Rest;

namespace KeyVault.Embedded.Tests.Rest;

/// <summary>
/// The REST front's protocol with a raw HTTP client: Azure's bearer challenge, token validation, api-version, Azure's
/// error body for every bad request (never a 500, never a stack trace), paging, and ids on the request's origin.
/// </summary>
public sealed class RestProtocolTests : IAsyncLifetime
{
    private const string Version = "?api-version=7.5";
    private RestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RestServer.StartAsync();
        await _server.AssignAsync("app", KeyVaultRoles.SecretsOfficer);
        await _server.AssignAsync("app", KeyVaultRoles.CryptoOfficer);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_request_without_a_token_gets_401_with_azures_challenge_and_nothing_is_written()
    {
        using var client = _server.Http();

        using var response = await client.PutAsJsonAsync("secrets/unauthenticated" + Version, new { value = "x" });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var challenge = response.Headers.WwwAuthenticate.Should().ContainSingle().Subject;
        challenge.Scheme.Should().Be("Bearer");
        challenge.Parameter.Should().Be($"authorization=\"https://{RestServer.Host}:{_server.Port}/{_server.Vault.Properties.VaultId:D}\", resource=\"{RestServer.Audience}\"");
        (await ErrorAsync(response)).Code.Should().Be("Unauthorized");
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await FluentActions.Awaiting(() => _server.Vault.Secrets.GetSecretAsync("unauthenticated")).Should().ThrowAsync<VaultObjectNotFoundException>();
        }
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("wrong-audience")]
    [InlineData("wrong-issuer")]
    [InlineData("expired")]
    [InlineData("garbage")]
    public async Task A_token_that_does_not_validate_gets_401(string kind)
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = kind switch
        {
            "wrong-key" => _server.Token("app", key: otherKey),
            "wrong-audience" => _server.Token("app", audience: "https://elsewhere.test"),
            "wrong-issuer" => _server.Token("app", issuer: "https://evil.test"),
            "expired" => _server.Token("app", expires: DateTime.UtcNow.AddMinutes(-1)),
            _ => "not.a.token",
        };
        using var client = _server.Http(token);

        using var response = await client.GetAsync("secrets" + Version);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
        (await ErrorAsync(response)).Message.Should().StartWith("AKV10022");
    }

    [Theory]
    [InlineData("", "api-version")]
    [InlineData("?api-version=6.0", "6.0")]
    [InlineData("?api-version=7.4&api-version=7.5", "api-version")]
    public async Task A_missing_or_unknown_api_version_is_400_bad_parameter(string query, string named)
    {
        using var client = _server.Http(_server.Token("app"));

        using var response = await client.GetAsync("secrets" + query);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await ErrorAsync(response);
        error.Code.Should().Be("BadParameter");
        error.Message.Should().Contain(named);
    }

    [Theory]
    [InlineData("PUT", "secrets/bad-json", "{\"value\": ", "not valid JSON")]
    [InlineData("PUT", "secrets/bad-shape", "[1, 2]", "JSON object")]
    [InlineData("PUT", "secrets/no-value", "{\"contentType\": \"text/plain\"}", "'value'")]
    [InlineData("PUT", "secrets/wrong-kind", "{\"value\": 42}", "'value' must be a string")]
    [InlineData("PUT", "secrets/bad-date", "{\"value\": \"v\", \"attributes\": {\"exp\": \"tomorrow\"}}", "'exp'")]
    [InlineData("PUT", "secrets/bad!name", "{\"value\": \"v\"}", "name")]
    [InlineData("POST", "secrets/restore", "{\"value\": \"not base64url!\"}", "base64url")]
    [InlineData("POST", "keys/k/create", "{\"kty\": \"DSA\"}", "'kty'")]
    [InlineData("POST", "keys/k/create", "{\"kty\": \"RSA\", \"key_size\": 1000}", "key")]
    [InlineData("POST", "keys/k/create", "{\"kty\": \"RSA\", \"attributes\": {\"exportable\": true}}", "Key release is not supported")]
    [InlineData("POST", "keys/k/create", "{\"kty\": \"EC\", \"release_policy\": {\"data\": \"e30\"}}", "Key release is not supported")]
    [InlineData("PUT", "keys/k", "{\"key\": {\"kty\": \"oct\", \"k\": \"AAAAAAAAAAAAAAAAAAAAAA\"}, \"attributes\": {\"exportable\": true}}", "Key release is not supported")]
    [InlineData("POST", "rng", "{\"count\": 0}", "random bytes")]
    [InlineData("POST", "keys/restore", "{\"value\": \"AAAA\"}", "backup")]
    [InlineData("PUT", "secrets/lone-surrogate", "{\"value\": \"\\ud800\"}", "'value' is not valid text")]
    [InlineData("PUT", "secrets/surrogate-tag", "{\"value\": \"v\", \"tags\": {\"\\udc00\": \"x\"}}", "'tags' is not valid text")]
    [InlineData("PUT", "certificates/contacts", "{\"contacts\": [{\"email\": \"\\ud800\"}]}", "not valid text")]
    [InlineData("PATCH", "secrets/some/bad%20version", "{\"contentType\": \"text/plain\"}", "version in the path")]
    [InlineData("PATCH", "certificates/some/bad%20version", "{\"attributes\": {\"enabled\": true}}", "version in the path")]
    public async Task Malformed_requests_get_azures_400_naming_the_rule_and_change_nothing(string method, string path, string body, string named)
    {
        using var client = _server.Http(_server.Token("app"));
        var before = await CountAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path + Version) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var text = await response.Content.ReadAsStringAsync();
        var error = await ErrorAsync(response);
        error.Code.Should().Be("BadParameter");
        error.Message.Should().ContainEquivalentOf(named);
        text.Should().NotContain("   at ", "no stack trace goes to a client");
        (await CountAsync()).Should().Be(before);
    }

    [Fact]
    public async Task A_string_of_bytes_that_are_not_utf8_is_400_not_500()
    {
        using var client = _server.Http(_server.Token("app"));
        var before = await CountAsync();
        var body = Encoding.UTF8.GetBytes("{\"value\": \"ab\"}");
        body[11] = 0xFF; // inside the string: JSON's parser lets it through, reading it as text fails
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PutAsync("secrets/not-utf8" + Version, content);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorAsync(response)).Message.Should().Contain("not valid text");
        (await CountAsync()).Should().Be(before);
    }

    [Fact]
    public async Task A_backup_blob_that_fails_its_seal_is_400_not_an_integrity_fault_of_the_vault()
    {
        using var client = _server.Http(_server.Token("app"));
        (await client.PutAsJsonAsync("secrets/backed-up" + Version, new { value = "v" })).EnsureSuccessStatusCode();
        using var backup = await client.PostAsync("secrets/backed-up/backup" + Version, null);
        var blob = Base64UrlDecode((await backup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("value").GetString()!);
        (await client.DeleteAsync("secrets/backed-up" + Version)).EnsureSuccessStatusCode();
        (await client.DeleteAsync("deletedsecrets/backed-up" + Version)).EnsureSuccessStatusCode();
        blob[blob.Length / 2] ^= 0x01;

        using var response = await client.PostAsJsonAsync("secrets/restore" + Version, new { value = System.Buffers.Text.Base64Url.EncodeToString(blob) });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the blob is the client's input, not the vault's storage");
        var error = await ErrorAsync(response);
        error.Code.Should().Be("BadParameter");
        error.Message.Should().Contain("integrity check");
        (await client.GetAsync("secrets/backed-up" + Version)).StatusCode.Should().Be(HttpStatusCode.NotFound, "nothing was restored");

        static byte[] Base64UrlDecode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
    }

    [Fact]
    public async Task A_chunked_body_whose_chunk_size_overflows_is_400_not_500()
    {
        var before = await CountAsync();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _server.Port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(_server.VaultUri.Host);
        var request = $"PUT /secrets/chunked{Version} HTTP/1.1\r\nHost: {_server.VaultUri.Authority}\r\nAuthorization: Bearer {_server.Token("app")}\r\n"
            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(request));

        using var reader = new StreamReader(tls, Encoding.ASCII);
        var status = await reader.ReadLineAsync();

        status.Should().StartWith("HTTP/1.1 400", "a body the server cannot frame is the client's bad request");
        (await CountAsync()).Should().Be(before);
    }

    [Fact]
    public async Task An_oversize_body_is_400_and_never_reaches_the_vault()
    {
        using var client = _server.Http(_server.Token("app"));
        var huge = new string('a', 300 * 1024);
        var before = await CountAsync();

        using var response = await client.PutAsJsonAsync("secrets/huge" + Version, new { value = huge });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorAsync(response)).Message.Should().Contain("larger than");
        (await CountAsync()).Should().Be(before);
    }

    [Fact]
    public async Task An_unknown_route_or_method_is_no_500()
    {
        using var client = _server.Http(_server.Token("app"));

        using var unknown = await client.GetAsync("nothing-here" + Version);
        using var wrongMethod = await client.PostAsync("secrets/x/y/z" + Version, null);

        ((int)unknown.StatusCode).Should().BeInRange(400, 499);
        ((int)wrongMethod.StatusCode).Should().BeInRange(400, 499);
    }

    [Fact]
    public async Task Paging_honours_maxresults_and_next_links_carry_on_where_the_page_ended()
    {
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            foreach (var name in new[] { "a1", "a2", "a3", "a4", "a5" })
            {
                await _server.Vault.Secrets.SetSecretAsync(name, "v");
            }
        }

        using var client = _server.Http(_server.Token("app"));
        var seen = new List<string>();
        var pages = 0;
        string? next = "secrets?api-version=7.6&maxresults=2";
        while (next is not null)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync(next));
            pages++;
            var values = page.RootElement.GetProperty("value").EnumerateArray().ToList();
            values.Count.Should().BeLessThanOrEqualTo(2);
            seen.AddRange(values.Select(v => v.GetProperty("id").GetString()!));
            next = page.RootElement.GetProperty("nextLink").GetString();
            next?.Should().StartWith($"https://{RestServer.Host}:{_server.Port}/secrets?");
        }

        // The vault also holds the TLS certificate's and its CA's secrets: every secret once, in name order.
        var all = new List<string>();
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            await foreach (var secret in _server.Vault.Secrets.GetPropertiesOfSecretsAsync())
            {
                all.Add($"https://{RestServer.Host}:{_server.Port}/secrets/{secret.Name}");
            }
        }

        pages.Should().Be((all.Count + 1) / 2);
        seen.Should().Equal(all.Order(StringComparer.OrdinalIgnoreCase));
        seen.Should().ContainInOrder(new[] { "a1", "a2", "a3", "a4", "a5" }.Select(n => $"https://{RestServer.Host}:{_server.Port}/secrets/{n}"));

        using var tooMany = await client.GetAsync("secrets?api-version=7.6&maxresults=26");
        tooMany.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Errors_carry_azures_codes_with_the_reason_as_inner_code()
    {
        using var client = _server.Http(_server.Token("app"));
        (await client.PutAsJsonAsync("secrets/gone" + Version, new { value = "v" })).EnsureSuccessStatusCode();
        (await client.DeleteAsync("secrets/gone" + Version)).EnsureSuccessStatusCode();

        using var missing = await client.GetAsync("secrets/never-was" + Version);
        using var deleted = await client.PutAsJsonAsync("secrets/gone" + Version, new { value = "again" });

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ErrorAsync(missing)).Code.Should().Be("SecretNotFound");
        deleted.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var conflict = await ErrorAsync(deleted);
        conflict.Code.Should().Be("Conflict");
        conflict.Inner.Should().Be("ObjectIsDeletedButRecoverable");
    }

    [Fact]
    public async Task Key_release_names_a_missing_key_as_azure_does_and_refuses_an_existing_one()
    {
        using var client = _server.Http(_server.Token("app"));
        (await client.PostAsJsonAsync("keys/kept/create" + Version, new { kty = "EC" })).EnsureSuccessStatusCode();

        // The Azure SDK for JavaScript posts /keys/{name}//release for a key id without a version.
        using var missing = await client.PostAsJsonAsync("keys/never-was//release" + Version, new { target = "token" });
        using var existing = await client.PostAsJsonAsync("keys/kept//release" + Version, new { target = "token" });

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ErrorAsync(missing)).Code.Should().Be("KeyNotFound");
        existing.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorAsync(existing)).Message.Should().Contain("Key release is not supported");
    }

    [Fact]
    public async Task Key_operations_over_http_verify_with_the_public_key_the_vault_returned()
    {
        using var client = _server.Http(_server.Token("app"));
        using var created = JsonDocument.Parse(await (await client.PostAsJsonAsync("keys/signer/create" + Version, new { kty = "EC", crv = "P-256" })).Content.ReadAsStringAsync());
        var jwk = created.RootElement.GetProperty("key");
        var kid = jwk.GetProperty("kid").GetString()!;
        kid.Should().StartWith($"https://{RestServer.Host}:{_server.Port}/keys/signer/");
        var digest = SHA256.HashData("release 1.0"u8);

        using var signed = JsonDocument.Parse(await (await client.PostAsJsonAsync(new Uri(kid).AbsolutePath + "/sign" + Version, new { alg = "ES256", value = System.Buffers.Text.Base64Url.EncodeToString(digest) })).Content.ReadAsStringAsync());
        var signature = System.Buffers.Text.Base64Url.DecodeFromChars(signed.RootElement.GetProperty("value").GetString());

        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = System.Buffers.Text.Base64Url.DecodeFromChars(jwk.GetProperty("x").GetString()), Y = System.Buffers.Text.Base64Url.DecodeFromChars(jwk.GetProperty("y").GetString()) },
        });
        ecdsa.VerifyHash(digest, signature).Should().BeTrue();
        using var verified = JsonDocument.Parse(await (await client.PostAsJsonAsync("keys/signer/verify" + Version, new { alg = "ES256", digest = System.Buffers.Text.Base64Url.EncodeToString(digest), value = System.Buffers.Text.Base64Url.EncodeToString(signature) })).Content.ReadAsStringAsync());
        verified.RootElement.GetProperty("value").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_key_operation_follows_its_key_across_requests_rotation_access_disabling_and_deletion()
    {
        // The front keeps one cryptography client per key name and version: each request must still see the key as it is now.
        using var client = _server.Http(_server.Token("app"));
        using var stranger = _server.Http(_server.Token("no-crypto"));
        await _server.AssignAsync("no-crypto", KeyVaultRoles.SecretsUser);
        var sign = new { alg = "ES256", value = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData("kept"u8)) };
        async Task<string> KidAsync(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.GetProperty("key").GetProperty("kid").GetString()!;
        }

        var first = await KidAsync(await (await client.PostAsJsonAsync("keys/kept/create" + Version, new { kty = "EC", crv = "P-256" })).Content.ReadAsStringAsync());
        using (var signed = JsonDocument.Parse(await (await client.PostAsJsonAsync("keys/kept/sign" + Version, sign)).Content.ReadAsStringAsync()))
        {
            signed.RootElement.GetProperty("kid").GetString().Should().Be(first);
        }

        var second = await KidAsync(await (await client.PostAsJsonAsync("keys/kept/create" + Version, new { kty = "EC", crv = "P-256" })).Content.ReadAsStringAsync());
        second.Should().NotBe(first);
        using (var signed = JsonDocument.Parse(await (await client.PostAsJsonAsync("keys/kept/sign" + Version, sign)).Content.ReadAsStringAsync()))
        {
            signed.RootElement.GetProperty("kid").GetString().Should().Be(second, "a new version is the current one at once");
        }

        using (var refused = await stranger.PostAsJsonAsync("keys/kept/sign" + Version, sign))
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, "access is checked on every request, whoever signed before");
        }

        (await client.PatchAsJsonAsync(new Uri(second).AbsolutePath + Version, new { attributes = new { enabled = false } })).StatusCode.Should().Be(HttpStatusCode.OK);
        using (var disabled = await client.PostAsJsonAsync("keys/kept/sign" + Version, sign))
        {
            disabled.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        using (var older = JsonDocument.Parse(await (await client.PostAsJsonAsync(new Uri(first).AbsolutePath + "/sign" + Version, sign)).Content.ReadAsStringAsync()))
        {
            older.RootElement.GetProperty("kid").GetString().Should().Be(first, "the first version is still enabled");
        }

        (await client.DeleteAsync("keys/kept" + Version)).StatusCode.Should().Be(HttpStatusCode.OK);
        using (var gone = await client.PostAsJsonAsync("keys/kept/sign" + Version, sign))
        {
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using (var goneVersion = await client.PostAsJsonAsync(new Uri(first).AbsolutePath + "/sign" + Version, sign))
        {
            goneVersion.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Every_supported_api_version_is_served()
    {
        using var client = _server.Http(_server.Token("app"));
        foreach (var version in VaultRestApiOptions.SupportedApiVersions)
        {
            using var response = await client.GetAsync($"secrets?api-version={version}");
            response.StatusCode.Should().Be(HttpStatusCode.OK, version);
        }
    }

    private async Task<int> CountAsync()
    {
        using (_server.Vault.RunAs(RestServer.Admin))
        {
            var count = 0;
            await foreach (var _ in _server.Vault.Secrets.GetPropertiesOfSecretsAsync())
            {
                count++;
            }

            await foreach (var key in _server.Vault.Keys.GetPropertiesOfKeysAsync())
            {
                count++;
            }

            return count;
        }
    }

    internal static async Task<(string Code, string Message, string? Inner)> ErrorAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error");
        var inner = error.TryGetProperty("innererror", out var innerError) ? innerError.GetProperty("code").GetString() : null;
        return (error.GetProperty("code").GetString()!, error.GetProperty("message").GetString()!, inner);
    }
}
