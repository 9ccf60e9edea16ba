using System.Net.Sockets;
using System.Text.Json;
using KeyVault.Embedded.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// What every REST call goes through before its handler, in this order: HTTPS (or a Unix socket), the firewall, the
/// api-version, the bearer token (401 with Azure's challenge when it is missing or invalid), access control being on,
/// the throttle, the body (bounded, JSON, an object). Then the handler runs as the token's principal (the vault's
/// caller accessor reads the request), and any failure becomes Azure's error body: a vault error with its own code
/// and status, a malformed request 400 <c>BadParameter</c>, anything else 500 without details (logged).
/// </summary>
internal sealed class RestFront
{
    private readonly VaultRestApiOptions _options;
    private readonly VaultNetworkRules.Compiled _network;
    private readonly RestThrottle _throttle;
    private readonly ILogger _logger;
    private readonly HashSet<string> _versions = new(VaultRestApiOptions.SupportedApiVersions, StringComparer.OrdinalIgnoreCase);
    private EmbeddedVault? _vault;

    public RestFront(IServiceProvider services, VaultRestApiOptions options)
    {
        _options = options;
        _network = options.Network.Compile();
        RestThrottle.Validate(options.Throttling);
        if (options.Authority is { } authorityUri && (!authorityUri.IsAbsoluteUri || authorityUri.AbsolutePath.Trim('/').Length == 0))
        {
            throw new ArgumentException("VaultRestApiOptions.Authority must be an absolute URI with a path (the SDKs take the tenant from its last segment), such as https://login.microsoftonline.com/{tenant}.");
        }

        if (options.MaxRequestBodySize < 1024)
        {
            throw new ArgumentException("VaultRestApiOptions.MaxRequestBodySize must be at least 1024 bytes.");
        }

        var vaultOptions = services.GetRequiredService<IOptions<EmbeddedVaultOptions>>().Value;
        if (vaultOptions.CallerAccessor is not HttpContextVaultCallerAccessor)
        {
            throw new InvalidOperationException("The REST front needs each request's user as the vault's caller: register the vault with services.AddEmbeddedVault(...).UseHttpContextCaller().");
        }

        if (services.GetService<IAuthenticationSchemeProvider>() is null)
        {
            throw new InvalidOperationException("The REST front validates bearer tokens with ASP.NET Core authentication: register a scheme (for example services.AddAuthentication().AddJwtBearer(...)).");
        }

        _throttle = new RestThrottle(options.Throttling, vaultOptions.TimeProvider);
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KeyVault.Embedded.AspNetCore.Rest");
    }

    /// <summary>The request delegate of one route.</summary>
    public RequestDelegate Handle(RestLimit limit, Func<RestRequest, Task> handler) => context => RunAsync(context, limit, handler);

    private async Task RunAsync(HttpContext context, RestLimit limit, Func<RestRequest, Task> handler)
    {
        try
        {
            var unixSocket = context.Features.Get<IConnectionEndPointFeature>()?.LocalEndPoint is System.Net.Sockets.UnixDomainSocketEndPoint
                || context.Connection.LocalIpAddress is null && context.Connection.RemoteIpAddress is null;
            if (!context.Request.IsHttps && !unixSocket)
            {
                await RestResponse.WriteErrorAsync(context, 403, "Forbidden", "This vault is served over HTTPS only.").ConfigureAwait(false);
                return;
            }

            if (!_network.Allows(context.Connection.RemoteIpAddress, unixSocket))
            {
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unix socket";
                await RestResponse.WriteErrorAsync(context, 403, "Forbidden", $"Client address is not authorized and caller is not a trusted service.\r\nClient address: {address}", "ForbiddenByFirewall").ConfigureAwait(false);
                return;
            }

            var version = context.Request.Query["api-version"] is { Count: 1 } values ? values[0] : null;
            if (string.IsNullOrEmpty(version))
            {
                await RestResponse.WriteErrorAsync(context, 400, "BadParameter", "The request needs one api-version query parameter.").ConfigureAwait(false);
                return;
            }

            if (!_versions.Contains(version))
            {
                var shown = version.Length <= 32 && version.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') ? version : "(unprintable)";
                await RestResponse.WriteErrorAsync(context, 400, "BadParameter", $"The specified version ({shown}) is not recognized. Use one of {string.Join(", ", VaultRestApiOptions.SupportedApiVersions)}.").ConfigureAwait(false);
                return;
            }

            // Only a bearer token in the Authorization header makes a caller, as in Azure: a scheme that also takes
            // cookies (a host's default) must not turn a browser's session, and so a cross-site form post, into one.
            if (!HasBearerToken(context.Request))
            {
                await ChallengeAsync(context, context.RequestServices.GetRequiredService<EmbeddedVault>(), "AKV10000: Request is missing a Bearer or PoP token.").ConfigureAwait(false);
                return;
            }

            var authenticated = await context.AuthenticateAsync(_options.AuthenticationScheme).ConfigureAwait(false);
            if (!authenticated.Succeeded || authenticated.Principal?.Identity?.IsAuthenticated != true)
            {
                if (authenticated.Failure is { } failure)
                {
                    _logger.LogInformation(RestLogEvents.Unauthenticated, "A REST request from {Address} presented a token that did not validate: {Reason}", context.Connection.RemoteIpAddress, failure.Message);
                }

                await ChallengeAsync(context, context.RequestServices.GetRequiredService<EmbeddedVault>(), "AKV10022: The bearer token is not valid (signature, issuer, audience or lifetime).").ConfigureAwait(false);
                return;
            }

            context.User = authenticated.Principal;
            var vault = _vault ??= context.RequestServices.GetRequiredService<EmbeddedVault>();
            if (vault.Access.Mode == VaultAuthorizationMode.None && !_options.AllowWithoutAccessControl)
            {
                await RestResponse.WriteErrorAsync(context, 403, "Forbidden", "The vault's access control is off, so this front serves nothing: turn on RBAC or access policies (or set VaultRestApiOptions.AllowWithoutAccessControl).").ConfigureAwait(false);
                return;
            }

            if (_throttle.TryAcquire(limit) is { } wait)
            {
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await RestResponse.WriteErrorAsync(context, 429, "Throttled", "Request was not processed because too many requests were received. Reason: A generic throttling reason. Please try again later.").ConfigureAwait(false);
                return;
            }

            using var body = await ReadBodyAsync(context).ConfigureAwait(false);
            using var correlation = CorrelationScope(context, vault);
            await handler(new RestRequest(context, vault, version, body?.Root)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (RestBadRequestException ex)
        {
            await ErrorAsync(context, 400, "BadParameter", ex.Message).ConfigureAwait(false);
        }
        catch (VaultException ex)
        {
            // Vault messages never carry a secret; those of server faults may name files, so they stay in the log.
            if (ex.Status >= 500)
            {
                _logger.LogError(RestLogEvents.Failed, ex, "A REST request failed in the vault ({Code}).", ex.ErrorCode.ToString());
                await ErrorAsync(context, ex.Status, ex.ErrorCode.ToString(), $"The vault could not complete the request ({ex.ErrorCode}); the server's log has the details (request {context.TraceIdentifier}).").ConfigureAwait(false);
            }
            else
            {
                // Azure answers a refusal as Forbidden and a state conflict as Conflict, the reason as the inner code
                // (Forbidden/SecretDisabled, Conflict/ObjectIsDeletedButRecoverable).
                var code = ex.ErrorCode.ToString();
                var outer = ex.Status switch { 403 => "Forbidden", 409 => "Conflict", _ => code };
                await ErrorAsync(context, ex.Status, outer, ex.Message, ex.InnerErrorCode?.ToString() ?? (outer == code ? null : code)).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException ex)
        {
            await ErrorAsync(context, 400, "BadParameter", ex.StatusCode == 413 ? $"The request body is larger than {_options.MaxRequestBodySize} bytes." : "The request is malformed.").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // Input the vault's typed checks did not name (a malformed JWK field, a PFX that does not parse).
            await ErrorAsync(context, 400, "BadParameter", "The request carries a value the vault cannot use.").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(RestLogEvents.Failed, ex, "A REST request failed.");
            await ErrorAsync(context, 500, "InternalServerError", $"The vault could not complete the request; the server's log has the details (request {context.TraceIdentifier}).").ConfigureAwait(false);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message, string? innerCode = null)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        return RestResponse.WriteErrorAsync(context, status, code, message, innerCode);
    }

    /// <summary>Whether the request carries one <c>Authorization: Bearer {token}</c> header.</summary>
    private static bool HasBearerToken(HttpRequest request) =>
        request.Headers.Authorization is { Count: 1 } values && values[0] is { } value
        && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && !value.AsSpan("Bearer ".Length).IsWhiteSpace();

    private Task ChallengeAsync(HttpContext context, EmbeddedVault vault, string message)
    {
        // The SDKs read a tenant from the authority's path: by default the vault's id stands for it.
        var authority = _options.Authority?.ToString() ?? $"{context.Request.Scheme}://{context.Request.Host}/{vault.Properties.VaultId:D}";
        var resource = (_options.Resource?.ToString() ?? DefaultResource(context.Request.Host.Host)).TrimEnd('/');
        context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"{authority.TrimEnd('/')}\", resource=\"{resource}\"";
        return RestResponse.WriteErrorAsync(context, 401, "Unauthorized", message);
    }

    /// <summary>
    /// The domain above the vault's host (<c>https://example.com</c> for <c>vault.example.com</c>), as Azure's
    /// <c>https://vault.azure.net</c> is above <c>name.vault.azure.net</c>: the SDKs accept a challenge only when the
    /// vault's host ends with <c>.</c> and the resource's host. A host without a parent (an address, <c>localhost</c>)
    /// names itself, and clients then need their challenge-resource check turned off.
    /// </summary>
    internal static string DefaultResource(string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return System.Net.IPAddress.TryParse(host, out _) || dot < 0 || dot == host.Length - 1 ? $"https://{host}" : $"https://{host[(dot + 1)..]}";
    }

    private async Task<RestBody?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsDelete(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return null;
        }

        if (request.ContentLength > _options.MaxRequestBodySize)
        {
            throw new RestBadRequestException($"The request body is larger than {_options.MaxRequestBodySize} bytes.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = _options.MaxRequestBodySize;
        }

        var buffer = new MemoryStream((int)Math.Min(request.ContentLength ?? 4096, _options.MaxRequestBodySize));
        var chunk = new byte[8192];
        try
        {
            int read;
            while ((read = await ReadChunkAsync(request.Body, chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _options.MaxRequestBodySize)
                {
                    throw new RestBadRequestException($"The request body is larger than {_options.MaxRequestBodySize} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            if (buffer.Length == 0)
            {
                RestBody.Zero(buffer);
                return null;
            }

            var body = RestBody.Parse(buffer);
            buffer = null;
            return body;
        }
        finally
        {
            // Also when the read throws (an oversize body, a client gone): the chunk may hold part of a secret.
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(chunk);
            if (buffer is not null)
            {
                RestBody.Zero(buffer);
            }
        }
    }

    /// <summary>
    /// One read of the body. A body the server cannot frame (a chunk size out of range, which Kestrel reports as an
    /// <see cref="IOException"/> rather than a <see cref="BadHttpRequestException"/>) is the client's malformed request.
    /// </summary>
    private static async ValueTask<int> ReadChunkAsync(Stream body, byte[] chunk, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw new RestBadRequestException("The request body is malformed (its framing cannot be read).");
        }
    }

    private static IDisposable? CorrelationScope(HttpContext context, EmbeddedVault vault)
    {
        if (System.Diagnostics.Activity.Current is not null)
        {
            return null;
        }

        var id = context.Request.Headers["x-ms-client-request-id"].ToString();
        return id.Length is > 0 and <= 128 && id.All(static c => c is >= '!' and <= '~') ? vault.UseCorrelationId(id) : null;
    }
}

/// <summary>The REST front's log events.</summary>
internal static class RestLogEvents
{
    public static readonly EventId Unauthenticated = new(3401, "RestUnauthenticated");
    public static readonly EventId Failed = new(3402, "RestFailed");
}

/// <summary>
/// A request's parsed JSON and the bytes it was parsed from (the document reads them in place). The body may hold a
/// secret value or key material: the bytes are zeroed when the request ends.
/// </summary>
internal sealed class RestBody : IDisposable
{
    private readonly MemoryStream _bytes;
    private readonly JsonDocument _document;

    private RestBody(MemoryStream bytes, JsonDocument document)
    {
        _bytes = bytes;
        _document = document;
    }

    public JsonElement Root => _document.RootElement;

    public static RestBody Parse(MemoryStream bytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.GetBuffer().AsMemory(0, (int)bytes.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException)
        {
            throw new RestBadRequestException("The request body is not valid JSON.");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new RestBadRequestException("The request body must be a JSON object.");
        }

        return new RestBody(bytes, document);
    }

    public static void Zero(MemoryStream bytes) => System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes.GetBuffer());

    public void Dispose()
    {
        _document.Dispose();
        Zero(_bytes);
    }
}
