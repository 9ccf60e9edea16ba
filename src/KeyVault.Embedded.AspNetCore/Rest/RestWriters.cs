using System.Buffers.Text;
using System.Text.Json;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>The pieces every object's JSON shares in Azure's REST API: attributes, tags, deletion fields.</summary>
internal static class RestWriters
{
    public static void Attributes(Utf8JsonWriter w, VaultObjectProperties p, bool withValidity = true)
    {
        w.WriteStartObject("attributes");
        if (p.Enabled is { } enabled)
        {
            w.WriteBoolean("enabled", enabled);
        }

        if (withValidity)
        {
            Unix(w, "nbf", p.NotBefore);
            Unix(w, "exp", p.ExpiresOn);
        }

        Unix(w, "created", p.CreatedOn);
        Unix(w, "updated", p.UpdatedOn);
        if (p.RecoveryLevel is { } level)
        {
            w.WriteString("recoveryLevel", level);
        }

        if (p.RecoverableDays is { } days)
        {
            w.WriteNumber("recoverableDays", days);
        }

        w.WriteEndObject();
    }

    public static void Tags(Utf8JsonWriter w, IDictionary<string, string> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        w.WriteStartObject("tags");
        foreach (var (name, value) in tags)
        {
            w.WriteString(name, value);
        }

        w.WriteEndObject();
    }

    public static void Unix(Utf8JsonWriter w, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            w.WriteNumber(name, value.ToUnixTimeSeconds());
        }
    }

    public static void Base64Url(Utf8JsonWriter w, string name, ReadOnlySpan<byte> bytes) =>
        w.WriteString(name, System.Buffers.Text.Base64Url.EncodeToString(bytes));

    public static void Deleted(Utf8JsonWriter w, RestRequest r, Uri? recoveryId, DateTimeOffset? deletedOn, DateTimeOffset? scheduledPurgeDate)
    {
        if (recoveryId is not null)
        {
            w.WriteString("recoveryId", r.Id(recoveryId));
        }

        Unix(w, "deletedDate", deletedOn);
        Unix(w, "scheduledPurgeDate", scheduledPurgeDate);
    }

    /// <summary>Takes <c>attributes.enabled/nbf/exp</c> and <c>tags</c> of a request onto properties (what is absent stays).</summary>
    public static void ApplyAttributes(JsonElement body, VaultObjectProperties p)
    {
        if (RestJson.Object(body, "attributes") is { } attributes)
        {
            if (RestJson.Bool(attributes, "enabled") is { } enabled)
            {
                p.Enabled = enabled;
            }

            if (RestJson.UnixTime(attributes, "nbf") is { } nbf)
            {
                p.NotBefore = nbf;
            }

            if (RestJson.UnixTime(attributes, "exp") is { } exp)
            {
                p.ExpiresOn = exp;
            }
        }

        if (RestJson.Tags(body) is { } tags)
        {
            p.Tags.Clear();
            foreach (var (name, value) in tags)
            {
                p.Tags[name] = value;
            }
        }
    }

    /// <summary>A backup blob's JSON: <c>{"value": base64url}</c>.</summary>
    public static Task WriteBackupAsync(RestRequest r, byte[] backup) => r.WriteAsync(200, w =>
    {
        w.WriteStartObject();
        Base64Url(w, "value", backup);
        w.WriteEndObject();
    });
}

/// <summary>
/// Azure's paging: <c>maxresults</c> (1 to 25, default 25) and a <c>nextLink</c> carrying a <c>$skiptoken</c>, the
/// sort key of the last item served (base64url), so that a page follows the previous one even when objects come and
/// go in between.
/// </summary>
internal static class RestPaging
{
    public const int MaxResults = 25;

    public static async Task WriteAsync<T>(RestRequest r, IAsyncEnumerable<T> source, Func<T, string> key, Action<Utf8JsonWriter, T> item)
    {
        var max = MaxResults;
        if (r.Query("maxresults") is { } text && (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxResults))
        {
            throw new RestBadRequestException($"The query parameter 'maxresults' must be an integer from 1 to {MaxResults}.");
        }

        string? after = null;
        if (r.Query("$skiptoken") is { } token)
        {
            var trimmed = token.AsSpan().TrimEnd('=');
            if (!Base64Url.IsValid(trimmed))
            {
                throw new RestBadRequestException("The query parameter '$skiptoken' is not one this vault issued.");
            }

            after = System.Text.Encoding.UTF8.GetString(Base64Url.DecodeFromChars(trimmed));
        }

        var all = new List<(string Key, T Item)>();
        await foreach (var value in source.WithCancellation(r.Aborted).ConfigureAwait(false))
        {
            var k = key(value);
            if (after is null || StringComparer.OrdinalIgnoreCase.Compare(k, after) > 0)
            {
                all.Add((k, value));
            }
        }

        all.Sort(static (a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Key, b.Key));
        var page = all.Count > max ? all.GetRange(0, max) : all;
        var next = all.Count > max ? NextLink(r, page[^1].Key, max) : null;
        await r.WriteAsync(200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("value");
            foreach (var (_, value) in page)
            {
                w.WriteStartObject();
                item(w, value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (next is null)
            {
                w.WriteNull("nextLink");
            }
            else
            {
                w.WriteString("nextLink", next);
            }

            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static string NextLink(RestRequest r, string lastKey, int max)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (name, values) in r.Context.Request.Query)
        {
            if (name is not ("$skiptoken" or "maxresults"))
            {
                query.AddRange(values.Select(v => new KeyValuePair<string, string?>(name, v)));
            }
        }

        query.Add(new("$skiptoken", Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(lastKey))));
        query.Add(new("maxresults", max.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return r.Origin + r.Context.Request.Path + Microsoft.AspNetCore.Http.QueryString.Create(query).ToUriComponent();
    }
}
