namespace KeyVault.Embedded.Certificates;

/// <summary>A certificate's subject alternative names (RFC 5280, section 4.2.1.6).</summary>
public sealed class SubjectAlternativeNames
{
    /// <summary>DNS names, for example <c>api.example.com</c>.</summary>
    public IList<string> DnsNames { get; } = [];

    /// <summary>Email addresses (RFC 822 names).</summary>
    public IList<string> Emails { get; } = [];

    /// <summary>User principal names (Microsoft's otherName form).</summary>
    public IList<string> UserPrincipalNames { get; } = [];

    /// <summary>IP addresses, IPv4 or IPv6, for example <c>127.0.0.1</c>.</summary>
    public IList<string> IpAddresses { get; } = [];

    /// <summary>Absolute URIs (uniformResourceIdentifier), for example <c>spiffe://example.org/api</c>.</summary>
    public IList<string> UniformResourceIdentifiers { get; } = [];

    internal bool IsEmpty => DnsNames.Count == 0 && Emails.Count == 0 && UserPrincipalNames.Count == 0 && IpAddresses.Count == 0 && UniformResourceIdentifiers.Count == 0;
}
