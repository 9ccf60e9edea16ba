using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Tests.Support;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Cli.Tests;

/// <summary><c>kv certificate ...</c> end to end, with OpenSSL's command line as the outside check of what is issued.</summary>
public sealed class CertificateCommandTests
{
    [Fact]
    public async Task A_certificate_from_az_default_policy_is_issued_and_downloads_as_PEM_and_DER_that_openssl_reads()
    {
        using var home = await VaultHome.CreateAsync();
        var policy = (await home.OkAsync("certificate", "get-default-policy"))!;
        policy["x509CertificateProperties"]!["subject"]!.GetValue<string>().Should().Be("CN=CLIGetDefaultPolicy");
        policy["keyProperties"]!["keySize"]!.GetValue<int>().Should().Be(2048);
        policy["x509CertificateProperties"]!["subject"] = "CN=web.example";
        var policyFile = home.PathOf("policy.json");
        await File.WriteAllTextAsync(policyFile, policy.ToJsonString());

        var created = (await home.OkAsync("certificate", "create", "-n", "web", "--policy", "@" + policyFile, "--validity", "6", "--tags", "env=test"))!;
        created["status"]!.GetValue<string>().Should().Be("completed");

        var shown = (await home.OkAsync("certificate", "show", "-n", "web"))!;
        shown["policy"]!["x509CertificateProperties"]!["validityInMonths"]!.GetValue<int>().Should().Be(6);
        shown["policy"]!["issuerParameters"]!["name"]!.GetValue<string>().Should().Be("Self");
        shown["tags"]!["env"]!.GetValue<string>().Should().Be("test");
        var cer = Convert.FromBase64String(shown["cer"]!.GetValue<string>());

        var pem = home.PathOf("web.pem");
        var der = home.PathOf("web.der");
        (await home.OkAsync("certificate", "download", "-n", "web", "-f", pem)).Should().BeNull();
        (await home.OkAsync("certificate", "download", "-n", "web", "-f", der, "--encoding", "DER")).Should().BeNull();
        (await File.ReadAllBytesAsync(der)).Should().Equal(cer);
        var subject = OpenSsl.Run("x509", "-in", pem, "-noout", "-subject", "-fingerprint", "-sha1");
        subject.ExitCode.Should().Be(0, subject.Output);
        subject.Output.Should().Contain("CN = web.example").And.Contain(string.Join(':', Convert.FromHexString(shown["x509ThumbprintHex"]!.GetValue<string>()).Select(b => b.ToString("X2"))));
        using var parsed = X509CertificateLoader.LoadCertificate(cer);
        (parsed.NotAfter - parsed.NotBefore).TotalDays.Should().BeInRange(180, 185, "--validity 6 overrides the policy's twelve months");

        var again = await home.RunAsync("certificate", "download", "-n", "web", "-f", pem);
        again.ExitCode.Should().Be(5, "a download never overwrites a file: " + again);

        var listed = await home.RunAsync("certificate", "list", "-o", "tsv");
        listed.ExitCode.Should().Be(0, listed.ToString());
        listed.Stdout.Should().StartWith("web\t").And.Contain(shown["x509ThumbprintHex"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_pending_certificate_CSR_signed_by_openssl_merges_and_the_operation_completes()
    {
        using var home = await VaultHome.CreateAsync();
        const string Policy = """
            {"issuerParameters":{"name":"Unknown"},"keyProperties":{"keyType":"EC","curve":"P-256"},
             "x509CertificateProperties":{"subject":"CN=outside.example","validityInMonths":1},
             "lifetimeActions":[{"action":{"actionType":"EmailContacts"},"trigger":{"daysBeforeExpiry":10}}]}
            """;
        var pending = (await home.OkAsync("certificate", "create", "-n", "outside", "--policy", Policy))!;
        pending["status"]!.GetValue<string>().Should().Be("inProgress");
        var early = home.PathOf("early.pem");
        var notYet = await home.RunAsync("certificate", "download", "-n", "outside", "-f", early);
        notYet.ExitCode.Should().Be(5, notYet.ToString());
        notYet.Stderr.Should().Contain("is pending");
        File.Exists(early).Should().BeFalse("nothing to write before the CA issues it");
        var csr = home.PathOf("outside.csr");
        await File.WriteAllBytesAsync(csr, Convert.FromBase64String(pending["csr"]!.GetValue<string>()));
        var caKey = home.PathOf("ca.key");
        var caPem = home.PathOf("ca.pem");
        var signedPem = home.PathOf("signed.pem");
        OpenSsl.Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", caPem, "-subj", "/CN=Outside CA", "-days", "30").ExitCode.Should().Be(0);
        var signing = OpenSsl.Run("x509", "-req", "-inform", "DER", "-in", csr, "-CA", caPem, "-CAkey", caKey, "-CAcreateserial", "-out", signedPem, "-days", "20");
        signing.ExitCode.Should().Be(0, signing.Output);
        var chain = home.PathOf("chain.pem");
        await File.WriteAllTextAsync(chain, await File.ReadAllTextAsync(signedPem) + await File.ReadAllTextAsync(caPem));

        var merged = (await home.OkAsync("certificate", "pending", "merge", "-n", "outside", "-f", chain))!;
        using var signed = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(signedPem));
        merged["x509ThumbprintHex"]!.GetValue<string>().Should().Be(signed.Thumbprint);
        (await home.OkAsync("certificate", "pending", "show", "-n", "outside"))!["status"]!.GetValue<string>().Should().Be("completed");
    }

    [Fact]
    public async Task A_PFX_imports_with_its_password_from_a_file_and_a_wrong_password_changes_nothing()
    {
        using var home = await VaultHome.CreateAsync();
        var key = home.PathOf("imp.key");
        var crt = home.PathOf("imp.crt");
        var pfx = home.PathOf("imp.pfx");
        OpenSsl.Run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-subj", "/CN=imported.example", "-days", "30").ExitCode.Should().Be(0);
        OpenSsl.Run("pkcs12", "-export", "-in", crt, "-inkey", key, "-out", pfx, "-passout", "pass:pfx-password-1").ExitCode.Should().Be(0);
        var passwordFile = home.PathOf("pfx.pass");
        await File.WriteAllTextAsync(passwordFile, "pfx-password-1\n");
        var wrongFile = home.PathOf("wrong.pass");
        await File.WriteAllTextAsync(wrongFile, "not-the-password\n");

        var wrong = await home.RunAsync("certificate", "import", "-n", "imported", "-f", pfx, "--password-file", wrongFile);
        wrong.ExitCode.Should().Be(6, wrong.ToString());
        wrong.Stderr.Should().StartWith("ERROR: (BadParameter)").And.NotContain("not-the-password");
        await ExpectOnlyTheRefusalAuditedAsync(home, "CertificateImport");

        var imported = (await home.OkAsync("certificate", "import", "-n", "imported", "-f", pfx, "--password-file", passwordFile))!;
        using var original = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(crt));
        imported["x509ThumbprintHex"]!.GetValue<string>().Should().Be(original.Thumbprint);
        imported.ToJsonString().Should().NotContain("PRIVATE", "the private key never reaches standard output");

        var prompted = VaultHome.Ok(await home.RunWithAsync(["certificate", "import", "-n", "prompted", "-f", pfx, "--password-prompt"], "pfx-password-1\n"))!;
        prompted["x509ThumbprintHex"]!.GetValue<string>().Should().Be(original.Thumbprint);
    }

    [Fact]
    public async Task An_outside_cas_issuer_is_recorded_as_az_records_it_and_its_certificate_request_fails_at_the_ca()
    {
        using var home = await VaultHome.CreateAsync();
        var issuer = (await home.OkAsync("certificate", "issuer", "create", "--issuer-name", "digicert", "--provider-name", "DigiCert",
            "--account-id", "acct-1", "--password", "cli-never-stored-pw", "--organization-id", "org-9"))!;
        issuer["provider"]!.GetValue<string>().Should().Be("DigiCert");
        issuer["accountId"]!.GetValue<string>().Should().Be("acct-1");
        issuer["organizationId"]!.GetValue<string>().Should().Be("org-9");
        issuer.ToJsonString().Should().NotContain("cli-never-stored-pw", "the password is never shown");

        // An update naming no provider keeps the outside CA's, and what it does not name.
        var updated = (await home.OkAsync("certificate", "issuer", "update", "--issuer-name", "digicert", "--account-id", "acct-2"))!;
        updated["provider"]!.GetValue<string>().Should().Be("DigiCert");
        updated["accountId"]!.GetValue<string>().Should().Be("acct-2");
        updated["organizationId"]!.GetValue<string>().Should().Be("org-9");

        // A certificate for it: the request is made, and its operation has failed (the vault does not reach the CA).
        await home.OkAsync("certificate", "create", "-n", "outside", "--policy", """{"issuerParameters":{"name":"digicert"},"x509CertificateProperties":{"subject":"CN=outside.example"}}""");
        var operation = (await home.OkAsync("certificate", "pending", "show", "--name", "outside"))!;
        operation["status"]!.GetValue<string>().Should().Be("failed");
        operation.ToJsonString().Should().Contain("DigiCert");
        var password = "cli-never-stored-pw"u8.ToArray();
        Directory.EnumerateFiles(home.Folder, "*", SearchOption.AllDirectories).Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(password) >= 0)
            .Should().BeEmpty("the password is in no file");
    }

    [Fact]
    public async Task A_vault_CA_issuer_signs_a_leaf_that_openssl_verifies_and_contacts_are_added_and_removed()
    {
        using var home = await VaultHome.CreateAsync();
        const string CaPolicy = """
            {"keyProperties":{"keyType":"EC","curve":"P-256","exportable":false},
             "x509CertificateProperties":{"subject":"CN=Vault CA","keyUsage":["keyCertSign","cRLSign","digitalSignature"],"validityInMonths":24}}
            """;
        await home.OkAsync("certificate", "create", "-n", "vault-ca", "--policy", CaPolicy);
        var issuer = (await home.OkAsync("certificate", "issuer", "create", "--issuer-name", "corp", "--certificate-name", "vault-ca"))!;
        issuer["provider"]!.GetValue<string>().Should().Be("VaultCertificate");
        (await home.OkAsync("certificate", "issuer", "list"))!.AsArray().Select(i => i!["name"]!.GetValue<string>()).Should().Equal("corp");

        const string LeafPolicy = """
            {"issuerParameters":{"name":"corp"},"keyProperties":{"keyType":"RSA","keySize":2048},
             "x509CertificateProperties":{"subject":"CN=leaf.example","subjectAlternativeNames":{"dnsNames":["leaf.example"]},"ekus":["1.3.6.1.5.5.7.3.1"],"validityInMonths":3}}
            """;
        (await home.OkAsync("certificate", "create", "-n", "leaf", "--policy", LeafPolicy))!["status"]!.GetValue<string>().Should().Be("completed");
        var leafPem = home.PathOf("leaf.pem");
        var caPem = home.PathOf("ca.pem");
        await home.OkAsync("certificate", "download", "-n", "leaf", "-f", leafPem);
        await home.OkAsync("certificate", "download", "-n", "vault-ca", "-f", caPem);
        var verify = OpenSsl.Run("verify", "-CAfile", caPem, "-purpose", "sslserver", leafPem);
        verify.ExitCode.Should().Be(0, verify.Output);
        verify.Output.Should().Contain("OK");

        (await home.OkAsync("certificate", "issuer", "update", "--issuer-name", "corp", "--enabled", "false"))!["enabled"]!.GetValue<bool>().Should().BeFalse();
        (await home.OkAsync("certificate", "issuer", "show", "--issuer-name", "corp"))!["enabled"]!.GetValue<bool>().Should().BeFalse();
        (await home.OkAsync("certificate", "issuer", "delete", "--issuer-name", "corp"))!["name"]!.GetValue<string>().Should().Be("corp");
        var gone = await home.RunAsync("certificate", "issuer", "show", "--issuer-name", "corp");
        gone.ExitCode.Should().Be(3, gone.ToString());

        await home.OkAsync("certificate", "contact", "add", "--email", "ops@example.com", "--name", "Ops");
        var both = (await home.OkAsync("certificate", "contact", "add", "--email", "sec@example.com", "--phone", "555-0100"))!.AsArray();
        both.Select(c => c!["email"]!.GetValue<string>()).Should().Equal("ops@example.com", "sec@example.com");
        var twice = await home.RunAsync("certificate", "contact", "add", "--email", "OPS@example.com");
        twice.ExitCode.Should().Be(5, twice.ToString());
        (await home.OkAsync("certificate", "contact", "delete", "--email", "ops@example.com"))!.AsArray().Should().ContainSingle();
        (await home.OkAsync("certificate", "contact", "delete", "--email", "sec@example.com"))!.AsArray().Should().BeEmpty();
        (await home.OkAsync("certificate", "contact", "list"))!.AsArray().Should().BeEmpty();
        var missing = await home.RunAsync("certificate", "contact", "delete", "--email", "sec@example.com");
        missing.ExitCode.Should().Be(3, missing.ToString());
    }

    [Fact]
    public async Task A_certificate_is_soft_deleted_recovered_and_purged_and_a_pending_operation_is_cancelled_and_deleted()
    {
        using var home = await VaultHome.CreateAsync();
        const string Policy = """{"x509CertificateProperties":{"subject":"CN=short.example","validityInMonths":1},"keyProperties":{"keyType":"EC"}}""";
        await home.OkAsync("certificate", "create", "-n", "short", "--policy", Policy);
        await home.OkAsync("certificate", "create", "-n", "short", "--policy", Policy);
        (await home.OkAsync("certificate", "list-versions", "-n", "short"))!.AsArray().Should().HaveCount(2);

        (await home.OkAsync("certificate", "delete", "-n", "short"))!["deletedOn"].Should().NotBeNull();
        (await home.OkAsync("certificate", "list-deleted"))!.AsArray().Select(d => d!["name"]!.GetValue<string>()).Should().Equal("short");
        (await home.OkAsync("certificate", "recover", "-n", "short"))!["name"]!.GetValue<string>().Should().Be("short");
        await home.OkAsync("certificate", "delete", "-n", "short");
        (await home.OkAsync("certificate", "purge", "-n", "short")).Should().BeNull();
        (await home.OkAsync("certificate", "list-deleted"))!.AsArray().Should().BeEmpty();

        const string Pending = """{"issuerParameters":{"name":"Unknown"},"x509CertificateProperties":{"subject":"CN=never.example"}}""";
        await home.OkAsync("certificate", "create", "-n", "never", "--policy", Pending);
        var cancelled = (await home.OkAsync("certificate", "pending", "cancel", "-n", "never"))!;
        cancelled["status"]!.GetValue<string>().Should().Be("cancelled");
        cancelled["cancellationRequested"]!.GetValue<bool>().Should().BeTrue();
        await home.OkAsync("certificate", "pending", "delete", "-n", "never");
        var shown = await home.RunAsync("certificate", "pending", "show", "-n", "never");
        shown.ExitCode.Should().Be(3, shown.ToString());
    }

    [Theory]
    [InlineData("{\"keyProperties\":{\"kySize\":2048}}", "'keyProperties.kySize' is not a certificate policy field")]
    [InlineData("{\"keyProperties\":{\"keySize\":\"big\"}}", "'keyProperties.keySize' must be a whole number")]
    [InlineData("not json", "--policy is not valid JSON")]
    [InlineData("{\"lifetimeActions\":[{\"trigger\":{\"daysBeforeExpiry\":5}}]}", "needs 'action.actionType'")]
    [InlineData("{\"keyProperties\":{\"keySize\":4096,\"keySize\":2048}}", "--policy is not valid JSON")]
    [InlineData("{\"attributes\":{\"expires\":\"2030-01-01\"}}", "'attributes.expires' is not a certificate policy field")]
    public async Task A_malformed_policy_exits_6_naming_the_field_before_the_vault_is_opened(string policy, string expected)
    {
        using var home = await VaultHome.CreateAsync();
        var before = home.FileFingerprint();

        var result = await home.RunAsync("certificate", "create", "-n", "bad", "--policy", policy);

        result.ExitCode.Should().Be(6, result.ToString());
        result.Stderr.Should().StartWith("ERROR: (BadParameter)").And.Contain(expected);
        result.Stdout.Should().BeEmpty();
        home.FileFingerprint().Should().Equal(before);
    }

    [Fact]
    public async Task A_policy_the_vault_refuses_exits_6_and_leaves_only_the_refusal_in_the_audit_trail()
    {
        using var home = await VaultHome.CreateAsync();

        var result = await home.RunAsync("certificate", "create", "-n", "bad", "--policy", """{"x509CertificateProperties":{"subject":"CN=x"},"keyProperties":{"keyType":"RSA","keySize":1000}}""");

        result.ExitCode.Should().Be(6, result.ToString());
        result.Stderr.Should().StartWith("ERROR: (BadParameter)").And.Contain("KeySize");
        await ExpectOnlyTheRefusalAuditedAsync(home, "CertificateCreate");
    }

    [Fact]
    public async Task A_policy_printed_by_show_is_accepted_back_by_create()
    {
        using var home = await VaultHome.CreateAsync();
        const string Policy = """
            {"keyProperties":{"keyType":"EC","curve":"P-384","exportable":true,"reuseKey":false},"secretProperties":{"contentType":"application/x-pem-file"},
             "x509CertificateProperties":{"subject":"CN=round.example","subjectAlternativeNames":{"dnsNames":["a.example","b.example"],"emails":["x@example.com"]},"keyUsage":["digitalSignature"],"ekus":["1.3.6.1.5.5.7.3.2"],"validityInMonths":2},
             "lifetimeActions":[{"action":{"actionType":"AutoRenew"},"trigger":{"lifetimePercentage":80}}],"attributes":{"enabled":true}}
            """;
        await home.OkAsync("certificate", "create", "-n", "round", "--policy", Policy);
        var first = (await home.OkAsync("certificate", "show", "-n", "round"))!["policy"]!;

        await home.OkAsync("certificate", "create", "-n", "round-again", "--policy", first.ToJsonString());
        var second = (await home.OkAsync("certificate", "show", "-n", "round-again"))!["policy"]!.AsObject();

        Without(second, "attributes").Should().Be(Without(first.AsObject(), "attributes"));
        second["x509CertificateProperties"]!["subjectAlternativeNames"]!["dnsNames"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("a.example", "b.example");
        second["keyProperties"]!["curve"]!.GetValue<string>().Should().Be("P-384");
    }

    /// <summary>No certificate, key or secret was made, and the trail holds the refused call (every call is audited).</summary>
    private static async Task ExpectOnlyTheRefusalAuditedAsync(VaultHome home, string operation)
    {
        (await home.OkAsync("certificate", "list", "--include-pending"))!.AsArray().Should().BeEmpty();
        (await home.OkAsync("key", "list"))!.AsArray().Should().BeEmpty();
        (await home.OkAsync("secret", "list"))!.AsArray().Should().BeEmpty();
        var audited = (await home.OkAsync("audit", "query", "--operation", operation))!.AsArray();
        audited.Should().ContainSingle().Which!["resultSignature"]!.GetValue<string>().Should().Be("BadRequest");
    }

    private static string Without(JsonObject json, string field)
    {
        var copy = json.DeepClone().AsObject();
        copy.Remove(field);
        return copy.ToJsonString();
    }
}
