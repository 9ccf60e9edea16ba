using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>Maps routes onto a group, each through the REST front's pipeline.</summary>
internal sealed class RestRoutes(IEndpointRouteBuilder group, RestFront front)
{
    public void Map(string method, string pattern, RestLimit limit, Func<RestRequest, Task> handler) =>
        group.MapMethods(pattern, [method], front.Handle(limit, handler)).WithDisplayName($"Key Vault REST {method} {pattern}");
}
