using System.Reflection;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Pkcs11.Tests;

/// <summary>The PKCS#11 package's public surface is reviewed: it is compared with <c>PublicApi.approved.txt</c>.</summary>
public sealed class PublicApiTests
{
    private static readonly Assembly Package = typeof(Pkcs11RootKey).Assembly;

    [Fact]
    public void The_public_surface_matches_the_approved_file() =>
        PublicApi.ShouldMatchApproved(Package, "tests/KeyVault.Embedded.Pkcs11.Tests/PublicApi.approved.txt");

    [Fact]
    public void No_public_member_exposes_a_Pkcs11Interop_type() =>
        PublicApi.Describe(Package).Should().NotContain("Net.Pkcs11Interop");
}
