using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// One REST call as a handler sees it: the vault, the route values and query, the JSON body (already parsed, bounded
/// and checked to be an object), and the writers of Azure's response shapes. Ids the vault returns are given the
/// request's own origin, so that a client follows them back here.
/// </summary>
internal sealed class RestRequest(HttpContext context, EmbeddedVault vault, string apiVersion, JsonElement? body)
{
    private readonly string _origin = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

    public HttpContext Context => context;

    public EmbeddedVault Vault => vault;

    public string ApiVersion => apiVersion;

    public CancellationToken Aborted => context.RequestAborted;

    /// <summary>The origin clients reach the vault at (<c>https://host:port</c>).</summary>
    public string Origin => _origin;

    /// <summary>The JSON body; 400 when the request has none.</summary>
    public JsonElement Body => body ?? throw new RestBadRequestException("The request needs a JSON object as its body.");

    /// <summary>The JSON body when there is one.</summary>
    public JsonElement? OptionalBody => body;

    public string Route(string name) => context.Request.RouteValues[name] as string ?? throw new RestBadRequestException($"The path is missing '{name}'.");

    public string? OptionalRoute(string name) => context.Request.RouteValues[name] as string is { Length: > 0 } value ? value : null;

    public string? Query(string name) => context.Request.Query[name] is { Count: > 0 } values ? values[0] : null;

    /// <summary>
    /// The properties of one version named by the path (<c>{collection}/{name}/{version}</c>), made by
    /// <paramref name="create"/> from its identifier: a name or version that cannot form one is 400.
    /// </summary>
    public T VersionProperties<T>(string collection, string name, string version, Func<Uri, T> create)
    {
        try
        {
            return create(new Uri(Vault.Properties.VaultUri, $"{collection}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(version)}"));
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException)
        {
            throw new RestBadRequestException("The name or version in the path is not valid.");
        }
    }

    /// <summary>A boolean query parameter (<c>includePending=true</c>); false when absent.</summary>
    public bool QueryFlag(string name) => Query(name) switch
    {
        null => false,
        var v when bool.TryParse(v, out var flag) => flag,
        _ => throw new RestBadRequestException($"The query parameter '{name}' must be true or false."),
    };

    /// <summary>An id the vault made, moved onto the request's origin.</summary>
    public string Id(Uri? id)
    {
        if (id is null)
        {
            return string.Empty;
        }

        var root = vault.Properties.VaultUri.AbsolutePath;
        var path = id.AbsolutePath;
        var relative = path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : path.TrimStart('/');
        return $"{_origin}/{relative}";
    }

    /// <summary>An object's id without its version (<c>/secrets/name</c>), as Azure's lists of objects give it.</summary>
    public string ObjectId(Uri? id)
    {
        var full = Id(id);
        var relative = full.AsSpan(_origin.Length + 1);
        var first = relative.IndexOf('/');
        var second = first < 0 ? -1 : relative[(first + 1)..].IndexOf('/');
        return second < 0 ? full : full[..(_origin.Length + 1 + first + 1 + second)];
    }

    /// <summary>Writes a JSON response.</summary>
    public Task WriteAsync(int status, Action<Utf8JsonWriter> write) => RestResponse.WriteAsync(context, status, write);

    /// <summary>Writes an empty response (204 and the like).</summary>
    public Task WriteEmptyAsync(int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

/// <summary>Writes JSON bodies with a <see cref="Utf8JsonWriter"/> into one buffer, then to the response.</summary>
internal static class RestResponse
{
    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = false }))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";

        // Bodies carry secret values, plaintexts, unwrapped keys and PFX files: no cache (a browser's, a proxy's) keeps one.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Azure's error body: <c>{"error":{"code","message","innererror":{"code"}}}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message, string? innerCode = null) =>
        WriteAsync(context, status, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            if (innerCode is not null)
            {
                w.WriteStartObject("innererror");
                w.WriteString("code", innerCode);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
}

/// <summary>Reads fields of a request's JSON: each of the wrong kind is 400 naming it.</summary>
internal static class RestJson
{
    public static JsonElement? Object(JsonElement parent, string name) => Get(parent, name) is { } value
        ? value.ValueKind == JsonValueKind.Object ? value : throw Wrong(name, "an object")
        : null;

    public static string? String(JsonElement parent, string name) => Get(parent, name) is { } value
        ? value.ValueKind == JsonValueKind.String ? Text(value, name) : throw Wrong(name, "a string")
        : null;

    public static string RequiredString(JsonElement parent, string name) =>
        String(parent, name) ?? throw new RestBadRequestException($"The request body needs '{name}'.");

    public static bool? Bool(JsonElement parent, string name) => Get(parent, name) is { } value
        ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(name, "true or false"),
        }
        : null;

    public static int? Int(JsonElement parent, string name) => Get(parent, name) is { } value
        ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Wrong(name, "a 32-bit integer")
        : null;

    /// <summary>A Unix time in seconds (Azure's <c>nbf</c>, <c>exp</c>).</summary>
    public static DateTimeOffset? UnixTime(JsonElement parent, string name) => Get(parent, name) is { } value
        ? value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds is >= -62135596800 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw Wrong(name, "a Unix time in seconds")
        : null;

    /// <summary>Bytes in base64url (padding tolerated), as Azure's JSON carries them.</summary>
    public static byte[]? Bytes(JsonElement parent, string name)
    {
        if (String(parent, name) is not { } text)
        {
            return null;
        }

        var trimmed = text.AsSpan().TrimEnd('=');
        if (!Base64Url.IsValid(trimmed))
        {
            throw new RestBadRequestException($"'{name}' is not base64url.");
        }

        return Base64Url.DecodeFromChars(trimmed);
    }

    public static byte[] RequiredBytes(JsonElement parent, string name) =>
        Bytes(parent, name) ?? throw new RestBadRequestException($"The request body needs '{name}'.");

    /// <summary>Bytes in standard base64 (certificates' <c>x5c</c>, <c>cer</c>).</summary>
    public static byte[] Base64(string text, string name)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : throw new RestBadRequestException($"'{name}' is not base64.");
    }

    public static List<string>? Strings(JsonElement parent, string name)
    {
        if (Get(parent, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(name, "an array of strings");
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? Text(item, name) : throw Wrong(name, "an array of strings"));
        }

        return list;
    }

    public static Dictionary<string, string>? Tags(JsonElement parent, string name = "tags")
    {
        if (Get(parent, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Wrong(name, "an object of strings");
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            tags[Name(property, name)] = property.Value.ValueKind == JsonValueKind.String ? Text(property.Value, name) : throw Wrong(name, "an object of strings");
        }

        return tags;
    }

    public static JsonElement? Get(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static RestBadRequestException Wrong(string name, string kind) => new($"'{name}' must be {kind}.");

    /// <summary>
    /// A JSON string's text. JSON allows escapes that are not text (a lone surrogate, <c>\ud800</c>), and the parser
    /// lets invalid UTF-8 through to here; either is the client's bad request.
    /// </summary>
    private static string Text(JsonElement value, string name)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw NotText(name);
        }
    }

    /// <summary>A JSON property's name, as <see cref="Text"/> reads a string.</summary>
    private static string Name(JsonProperty property, string name)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw NotText(name);
        }
    }

    private static RestBadRequestException NotText(string name) => new($"'{name}' is not valid text (a lone surrogate escape or bytes that are not UTF-8).");
}
