using System.Net;
using System.Net.Sockets;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>What the REST front does with a caller no rule names (Azure's <c>networkAcls.defaultAction</c>).</summary>
public enum VaultNetworkAction
{
    /// <summary>Every caller is let through (no firewall).</summary>
    Allow,

    /// <summary>Only callers an IP rule names are let through; the rest get 403 <c>ForbiddenByFirewall</c>.</summary>
    Deny,
}

/// <summary>
/// The REST front's firewall, after Azure Key Vault's network rules: a default action and allowed IP ranges (CIDR,
/// IPv4 and IPv6). The address judged is the connection's remote address as ASP.NET Core sees it (behind a proxy,
/// only when the host's forwarded-headers middleware sets it). A Unix-socket connection has no address: it is let
/// through when <see cref="AllowUnixSocket"/> is true, as the socket file's permissions already decide who connects.
/// </summary>
public sealed class VaultNetworkRules
{
    /// <summary>What happens to a caller no rule names. Default <see cref="VaultNetworkAction.Allow"/>, as in Azure.</summary>
    public VaultNetworkAction DefaultAction { get; set; } = VaultNetworkAction.Allow;

    /// <summary>Allowed address ranges: <c>10.1.0.0/16</c>, <c>2001:db8::/32</c>, or one address (<c>127.0.0.1</c>).</summary>
    public IList<string> IpRules { get; } = [];

    /// <summary>Whether callers on a Unix socket are let through under <see cref="VaultNetworkAction.Deny"/>. Default true.</summary>
    public bool AllowUnixSocket { get; set; } = true;

    internal Compiled Compile()
    {
        var networks = new List<IPNetwork>();
        foreach (var rule in IpRules)
        {
            if (string.IsNullOrWhiteSpace(rule))
            {
                throw new ArgumentException("VaultNetworkRules.IpRules: an empty rule.");
            }

            var text = rule.Trim();
            if (!text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var single))
            {
                text = $"{text}/{(single.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)}";
            }

            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var given) || !IPNetwork.TryParse(text, out var network) || !network.BaseAddress.Equals(given))
            {
                throw new ArgumentException($"VaultNetworkRules.IpRules: '{rule}' is not an address or a CIDR range (such as 10.0.0.0/8 or 2001:db8::/32) with no bits set past its prefix.");
            }

            networks.Add(network);
        }

        return new Compiled(DefaultAction, networks, AllowUnixSocket);
    }

    internal sealed class Compiled(VaultNetworkAction defaultAction, List<IPNetwork> networks, bool allowUnixSocket)
    {
        public bool Allows(IPAddress? address, bool unixSocket)
        {
            if (defaultAction == VaultNetworkAction.Allow)
            {
                return true;
            }

            if (address is null)
            {
                return unixSocket && allowUnixSocket;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            foreach (var network in networks)
            {
                if (network.Contains(address))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
