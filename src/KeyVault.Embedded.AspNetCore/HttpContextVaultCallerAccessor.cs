using System.Security.Claims;
using KeyVault.Embedded.Access;
using Microsoft.AspNetCore.Http;

namespace KeyVault.Embedded.AspNetCore;

/// <summary>
/// The vault's caller is the current request's user (<see cref="HttpContext.User"/>), as Azure Key Vault reads a
/// bearer token: object id from <c>oid</c> (or its long claim type), else <c>sub</c>, else the name identifier; an
/// application when the token says so (<c>idtyp</c> = <c>app</c>, or <c>appid</c>/<c>azp</c> without a user's
/// <c>scp</c>); groups from <c>groups</c>. A request that is not authenticated is the anonymous principal, which no
/// assignment names, so access control refuses it. Outside a request (a background service), there is no caller here
/// and the vault uses its default. The audit trail gets the request's remote address and user agent.
/// </summary>
public sealed class HttpContextVaultCallerAccessor : IVaultCallerAccessor
{
    /// <summary>The principal of requests that are not authenticated: no assignment names it.</summary>
    public static VaultPrincipal Anonymous { get; } = new("anonymous", "anonymous request", VaultPrincipalKind.User);

    private const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    private readonly IHttpContextAccessor _http;

    /// <summary>Creates the accessor.</summary>
    /// <param name="http">The request accessor (<c>services.AddHttpContextAccessor()</c>).</param>
    public HttpContextVaultCallerAccessor(IHttpContextAccessor http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <inheritdoc/>
    public VaultPrincipal? GetCaller()
    {
        if (_http.HttpContext is not { } context)
        {
            return null;
        }

        return FromClaims(context.User);
    }

    /// <inheritdoc/>
    public string? GetCallerIpAddress() => _http.HttpContext?.Connection.RemoteIpAddress?.ToString();

    /// <inheritdoc/>
    public string? GetClientInfo() => _http.HttpContext?.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null;

    /// <summary>The principal a set of claims names (the anonymous one when they are not authenticated).</summary>
    /// <param name="user">The request's user.</param>
    /// <returns>The principal.</returns>
    public static VaultPrincipal FromClaims(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }

        var objectId = First(user, "oid", ObjectIdClaim, "sub", ClaimTypes.NameIdentifier);
        if (objectId is null || IsReserved(objectId))
        {
            // The vault's own principals (the application, the anonymous one) are never taken from a token.
            return Anonymous;
        }

        var appId = First(user, "appid", "azp");
        var isApplication = string.Equals(First(user, "idtyp"), "app", StringComparison.OrdinalIgnoreCase)
            || (appId is not null && First(user, "scp", "http://schemas.microsoft.com/identity/claims/scope") is null && First(user, "name", "preferred_username") is null);
        var name = First(user, "name", "preferred_username", ClaimTypes.Name) ?? appId ?? objectId;
        var groups = user.FindAll("groups").Concat(user.FindAll(ClaimTypes.GroupSid)).Select(c => c.Value).Where(g => !IsReserved(g));
        return new VaultPrincipal(objectId, name, isApplication ? VaultPrincipalKind.Application : VaultPrincipalKind.User, groups);
    }

    private static bool IsReserved(string id) =>
        id.Equals(VaultPrincipal.Application.ObjectId, StringComparison.OrdinalIgnoreCase) || id.Equals(Anonymous.ObjectId, StringComparison.OrdinalIgnoreCase);

    private static string? First(ClaimsPrincipal user, params string[] types)
    {
        foreach (var type in types)
        {
            if (user.FindFirst(type)?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }
}
