using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.Tests.Certificates;

/// <summary>Azure's policy rules: each break is a BadParameter naming the field, and nothing is written.</summary>
public sealed class CertificatePolicyTests : CertificateTestBase
{
    public static TheoryData<string, Action<CertificatePolicy>> InvalidPolicies => new()
    {
        { "IssuerName", p => p.IssuerName = "" },
        { "IssuerName", p => p.IssuerName = "NotRegistered" },
        { "Subject or SubjectAlternativeNames", p => p.Subject = null },
        { "Subject", p => p.Subject = "not a distinguished name" },
        { "KeyType", p => p.KeyType = new CertificateKeyType("oct") },
        { "KeySize", p => p.KeySize = 1024 },
        { "KeyCurveName", p => p.KeyCurveName = CertificateKeyCurveName.P256 },
        { "KeyCurveName", p => { p.KeyType = CertificateKeyType.Ec; p.KeyCurveName = new CertificateKeyCurveName("P-192"); } },
        { "KeySize", p => { p.KeyType = CertificateKeyType.Ec; p.KeyCurveName = CertificateKeyCurveName.P384; p.KeySize = 256; } },
        { "Exportable", p => { p.KeyType = CertificateKeyType.RsaHsm; p.Exportable = true; } },
        { "ContentType", p => p.ContentType = new CertificateContentType("text/plain") },
        { "ValidityInMonths", p => p.ValidityInMonths = 0 },
        { "ValidityInMonths", p => p.ValidityInMonths = 1201 },
        { "KeyUsage", p => p.KeyUsage.Add(new CertificateKeyUsage("everything")) },
        { "EnhancedKeyUsage", p => p.EnhancedKeyUsage.Add("serverAuth") },
        { "DnsNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { DnsNames = { "has space.example.com" } } },
        { "DnsNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { DnsNames = { "a..b" } } },
        { "DnsNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { DnsNames = { "." } } },
        { "DnsNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { DnsNames = { new string('a', 64) + ".example.com" } } },
        { "DnsNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { DnsNames = { "\ud800.com" } } },
        { "UserPrincipalNames", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { UserPrincipalNames = { "\ud800" } } },
        { "EnhancedKeyUsage", p => p.EnhancedKeyUsage.Add("1.40") },
        { "EnhancedKeyUsage", p => p.EnhancedKeyUsage.Add("0.99") },
        { "EnhancedKeyUsage", p => p.EnhancedKeyUsage.Add("1.3.6.1.05") },
        { "EnhancedKeyUsage", p => p.EnhancedKeyUsage.Add(null!) },
        { "LifetimeActions", p => p.LifetimeActions.Add(null!) },
        { "Emails", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { Emails = { "no-at-sign" } } },
        { "IpAddresses", p => p.SubjectAlternativeNames = new SubjectAlternativeNames { IpAddresses = { "300.1.1.1" } } },
        { "LifetimeActions", p => p.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew)) },
        { "LifetimeActions", p => p.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { LifetimePercentage = 100 }) },
        { "LifetimeActions", p => p.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { LifetimePercentage = 50, DaysBeforeExpiry = 10 }) },
        { "LifetimeActions", p => p.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 400 }) },
        { "LifetimeActions", p => p.LifetimeActions.Add(new LifetimeAction(new CertificatePolicyAction("Shred")) { DaysBeforeExpiry = 10 }) },
        { "LifetimeActions", p => { p.IssuerName = "Unknown"; p.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 10 }); } },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public async Task An_invalid_policy_is_refused_naming_its_field(string field, Action<CertificatePolicy> breakIt)
    {
        await CreateAsync("existing", SelfPolicy());
        var policy = SelfPolicy();
        breakIt(policy);

        var error = await RefusedAsync(() => Certificates.StartCreateCertificateAsync("new", policy));
        error.Message.Should().Contain(field);

        var update = await RefusedAsync(() => Certificates.UpdateCertificatePolicyAsync("existing", policy));
        update.Message.Should().Contain(field);
        (await Certificates.GetCertificatePolicyAsync("existing")).Subject.Should().Be("CN=app.example.com");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has_underscore")]
    [InlineData("-")]
    public async Task An_invalid_name_is_refused(string name)
    {
        if (name == "-")
        {
            name = new string('a', 128);
        }

        await RefusedAsync(() => Certificates.StartCreateCertificateAsync(name, SelfPolicy()));
    }

    [Fact]
    public async Task An_updated_policy_is_stored_and_applies_to_the_next_version()
    {
        var created = await CreateAsync("web", SelfPolicy());
        var policy = SelfPolicy("CN=next.example.com", keyType: "EC", curve: "P-384");
        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.EmailContacts) { DaysBeforeExpiry = 30 });

        var updated = await Certificates.UpdateCertificatePolicyAsync("web", policy);
        updated.KeyType.Should().Be(CertificateKeyType.Ec);
        updated.LifetimeActions.Should().ContainSingle().Which.DaysBeforeExpiry.Should().Be(30);
        updated.CreatedOn.Should().Be(created.Policy.CreatedOn);

        await ReopenAsync();
        var stored = await Certificates.GetCertificatePolicyAsync("web");
        stored.Subject.Should().Be("CN=next.example.com");
        stored.KeyCurveName.Should().Be(CertificateKeyCurveName.P384);
        (await Certificates.GetCertificateAsync("web")).Properties.Version.Should().Be(created.Properties.Version, "a policy change makes no version");
    }

    [Fact]
    public async Task A_policy_with_only_subject_alternative_names_makes_a_certificate_with_an_empty_subject()
    {
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, new SubjectAlternativeNames { DnsNames = { "only-san.example.com" } });

        var created = await CreateAsync("san-only", policy);

        using var certificate = Load(created.Cer);
        certificate.Subject.Should().BeEmpty();
        var san = certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single();
        san.Critical.Should().BeTrue("RFC 5280 makes the SAN critical when the subject is empty");
        san.EnumerateDnsNames().Should().Equal("only-san.example.com");
        created.Policy.SubjectAlternativeNames!.DnsNames.Should().Equal("only-san.example.com");
    }
}
