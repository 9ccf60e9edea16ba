namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>A request the REST front refuses before the vault sees it: 400 <c>BadParameter</c> naming the rule broken.</summary>
internal sealed class RestBadRequestException(string message) : Exception(message)
{
}
