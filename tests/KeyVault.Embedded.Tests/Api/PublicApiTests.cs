using System.Reflection;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>
/// The public surface is reviewed, not accidental: it is written to a file and compared with
/// <c>PublicApi.approved.txt</c>. A change fails this test until the approved file is updated with it.
/// </summary>
public sealed class PublicApiTests
{
    private static readonly Assembly Library = typeof(EmbeddedVault).Assembly;
    private static readonly Assembly AspNetCore = typeof(KeyVault.Embedded.AspNetCore.Https.VaultHttpsOptions).Assembly;
    private static readonly Assembly PostgreSql = typeof(KeyVault.Embedded.PostgreSql.PostgreSqlVaultOptions).Assembly;

    [Fact]
    public void The_public_surface_matches_the_approved_file()
    {
        PublicApi.ShouldMatchApproved(Library, "tests/KeyVault.Embedded.Tests/PublicApi.approved.txt");
    }

    [Fact]
    public void The_AspNetCore_package_surface_matches_its_approved_file()
    {
        PublicApi.ShouldMatchApproved(AspNetCore, "tests/KeyVault.Embedded.Tests/PublicApi.AspNetCore.approved.txt");
    }

    [Fact]
    public void The_PostgreSql_package_surface_matches_its_approved_file()
    {
        PublicApi.ShouldMatchApproved(PostgreSql, "tests/KeyVault.Embedded.Tests/PublicApi.PostgreSql.approved.txt");
    }

    [Fact]
    public void The_AspNetCore_and_PostgreSql_packages_have_sealed_or_static_classes_and_no_exception_of_their_own()
    {
        foreach (var package in new[] { AspNetCore, PostgreSql })
        {
            package.GetExportedTypes().Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract).Should().BeEmpty();
            package.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).Should().BeEmpty("its failures are VaultExceptions with their own codes");
        }
    }

    [Fact]
    public void No_public_member_exposes_a_LiteDB_BouncyCastle_or_Pkcs11Interop_type()
    {
        var forbidden = new[] { "LiteDB", "Org.BouncyCastle", "Net.Pkcs11Interop" };
        PublicApi.Describe(Library).Split('\n').Where(line => forbidden.Any(f => line.Contains(f, StringComparison.Ordinal)))
            .Should().BeEmpty();
    }

    [Fact]
    public void Public_classes_are_sealed_unless_designed_for_inheritance()
    {
        Library.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract)
            .Except([typeof(VaultException), typeof(KeyVault.Embedded.Keys.CreateKeyOptions), typeof(KeyVault.Embedded.Certificates.KeyVaultCertificate),
                typeof(KeyVault.Embedded.Certificates.KeyVaultCertificateWithPolicy), typeof(KeyVault.Embedded.Secrets.KeyVaultSecret), typeof(KeyVault.Embedded.Keys.KeyVaultKey)])
            .Should().BeEmpty();
    }

    [Fact]
    public void Every_public_exception_carries_an_error_code()
    {
        Library.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t))
            .Should().OnlyContain(t => typeof(VaultException).IsAssignableFrom(t));
    }
}
