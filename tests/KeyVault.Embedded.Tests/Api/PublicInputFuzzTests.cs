using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Certificates;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>
/// Seeded fuzzing of every public input: whatever a caller hands in, the vault answers with its result or with its
/// own typed error, and a refused call writes nothing. Any other exception fails the test, naming the seed and input.
/// </summary>
public sealed class PublicInputFuzzTests : CertificateTestBase
{
    private const int Seed = 20261201;

    private static readonly string[] Members = ["kty", "key_ops", "n", "e", "d", "p", "q", "dp", "dq", "qi", "crv", "x", "y", "k"];

    private static readonly string[] Alphabet = ["a", "Z", "0", "-", "_", " ", "/", ".", "é", "\u0000", "\u202e", "😀", "\n", "%", "*", "\\"];

    private readonly List<string> _untyped = [];

    private int _accepted;

    private int _refused;

    [Fact]
    public async Task An_RSA_key_with_an_empty_d_and_an_oversized_y_is_a_bad_parameter_naming_the_member()
    {
        using var rsa = RSA.Create(2048);
        var jwk = new JsonWebKey(rsa, includePrivateParameters: true) { D = [], Y = new byte[4096] };

        var error = await RefusedAsync(() => Vault.Keys.ImportKeyAsync("empty-d", jwk));

        error.Message.Should().Contain("member d");
    }

    [Fact]
    public async Task A_key_whose_key_ops_is_null_imports_with_the_default_operations()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonSerializer.Deserialize<JsonWebKey>("""{"kty":"EC","key_ops":null,"crv":"P-256","x":"%X%","y":"%Y%","d":"%D%"}"""
            .Replace("%X%", Base64Url(ec.ExportParameters(true).Q.X!), StringComparison.Ordinal)
            .Replace("%Y%", Base64Url(ec.ExportParameters(true).Q.Y!), StringComparison.Ordinal)
            .Replace("%D%", Base64Url(ec.ExportParameters(true).D!), StringComparison.Ordinal))!;

        var imported = await Vault.Keys.ImportKeyAsync("null-ops", jwk);

        imported.Key.KeyOps.Should().BeEquivalentTo([KeyOperation.Sign, KeyOperation.Verify]);
    }

    [Fact]
    public async Task JSON_web_keys_given_as_objects_or_as_JSON_are_imported_or_refused_with_a_typed_error()
    {
        var random = new Random(Seed);
        var originals = ValidKeys();
        for (var trial = 0; trial < 600; trial++)
        {
            var original = originals[random.Next(originals.Length)];
            var jwk = Mutate(random, JsonSerializer.Deserialize<JsonWebKey>(JsonSerializer.Serialize(original))!);
            var name = $"jwk-{trial}";
            await TryAsync($"jwk object trial {trial}", name, () => Vault.Keys.ImportKeyAsync(name, jwk), () => Vault.Keys.GetKeyAsync(name));
        }

        for (var trial = 0; trial < 600; trial++)
        {
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(originals[random.Next(originals.Length)]));
            FlipBytes(random, json, 1 + random.Next(4));
            JsonWebKey? jwk;
            try
            {
                jwk = JsonSerializer.Deserialize<JsonWebKey>(json);
            }
            catch (JsonException)
            {
                // The serializer's own typed refusal of text that is not a JWK: what System.Text.Json promises.
                continue;
            }

            if (jwk is null)
            {
                continue;
            }

            var name = $"json-{trial}";
            await TryAsync($"jwk json trial {trial}", name, () => Vault.Keys.ImportKeyAsync(name, jwk), () => Vault.Keys.GetKeyAsync(name));
        }

        Report();
    }

    [Fact]
    public async Task PEM_keys_and_PEM_or_PFX_certificates_are_imported_or_refused_with_a_typed_error()
    {
        var random = new Random(Seed + 1);
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pems = new[] { rsa.ExportPkcs8PrivateKeyPem(), rsa.ExportRSAPrivateKeyPem(), ec.ExportECPrivateKeyPem(), ec.ExportPkcs8PrivateKeyPem() };
        for (var trial = 0; trial < 400; trial++)
        {
            var pem = MutateText(random, pems[random.Next(pems.Length)]);
            var name = $"pem-{trial}";
            await TryAsync($"pem key trial {trial}", name, () => Vault.Keys.ImportKeyAsync(name, JsonWebKey.FromPem(pem)), () => Vault.Keys.GetKeyAsync(name));
        }

        using var certificate = SelfSigned(ec, "CN=fuzz.example.com");
        var pfx = certificate.Export(X509ContentType.Pfx, "pw");
        var certificatePem = Encoding.UTF8.GetBytes(ec.ExportPkcs8PrivateKeyPem() + "\n" + certificate.ExportCertificatePem());
        for (var trial = 0; trial < 300; trial++)
        {
            var bytes = (trial % 2 == 0 ? pfx : certificatePem).ToArray();
            if (trial % 2 == 0)
            {
                FlipBytes(random, bytes, 1 + random.Next(3));
            }
            else
            {
                bytes = Encoding.UTF8.GetBytes(MutateText(random, Encoding.UTF8.GetString(bytes)));
            }

            var name = $"certificate-{trial}";
            await TryAsync($"certificate import trial {trial}", name, () => Certificates.ImportCertificateAsync(new ImportCertificateOptions(name, bytes) { Password = "pw" }), () => Certificates.GetCertificateAsync(name));
        }

        Report();
    }

    [Fact]
    public async Task Certificates_merged_into_a_pending_operation_are_accepted_or_refused_with_a_typed_error()
    {
        var random = new Random(Seed + 2);
        var operation = await Certificates.StartCreateCertificateAsync("merged", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=merged.example.com") { KeyType = CertificateKeyType.Ec });
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = SelfSigned(caKey, "CN=Fuzz CA");
        var request = CertificateRequest.LoadSigningRequest(operation.Properties.Csr!, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        using var issued = request.Create(ca, Time.GetUtcNow().AddDays(-1), Time.GetUtcNow().AddYears(1), [1, 2, 3, 4]);
        var der = issued.RawData;
        var before = await Certificates.GetCertificateOperationAsync("merged");

        for (var trial = 0; trial < 400; trial++)
        {
            var bytes = der.ToArray();
            FlipBytes(random, bytes, 1 + random.Next(3));
            if (bytes.AsSpan().SequenceEqual(der))
            {
                continue;
            }

            try
            {
                await Certificates.MergeCertificateAsync(new MergeCertificateOptions("merged", [bytes]));

                // A flip inside the signature or an unchecked field can still parse and match the key: a merge that
                // succeeds ends the operation, so begin a new one to keep fuzzing.
                _accepted++;
                operation = await Certificates.StartCreateCertificateAsync("merged", new CertificatePolicy(WellKnownIssuerNames.Unknown, "CN=merged.example.com") { KeyType = CertificateKeyType.Ec, ReuseKey = true });
            }
            catch (VaultException)
            {
                _refused++;
                (await Certificates.GetCertificateOperationAsync("merged")).Properties.Status.Should().Be(before.Properties.Status, "a refused merge leaves the operation pending");
            }
            catch (Exception ex)
            {
                _untyped.Add($"merge trial {trial}: {ex.GetType().FullName}: {ex.Message} {Where(ex)}");
            }
        }

        string.Join("\n", _untyped).Should().BeEmpty();
        _refused.Should().BeGreaterThan(300, "nearly every flipped certificate must be refused");
    }

    [Fact]
    public async Task Policies_names_values_and_tags_are_accepted_or_refused_with_a_typed_error()
    {
        var random = new Random(Seed + 3);
        for (var trial = 0; trial < 120; trial++)
        {
            var policy = RandomPolicy(random);
            var name = random.Next(4) == 0 ? RandomText(random, 40) : $"policy-{trial}";
            await TryAsync($"policy trial {trial} ({policy})", name, () => Certificates.StartCreateCertificateAsync(name, policy), () => Certificates.GetCertificateOperationAsync(name));
        }

        for (var trial = 0; trial < 800; trial++)
        {
            var name = random.Next(3) == 0 ? RandomText(random, 140) : $"secret-{trial}";
            var secret = new KeyVaultSecret(name, RandomText(random, random.Next(3) == 0 ? 30_000 : 50));
            secret.Properties.ContentType = random.Next(3) == 0 ? RandomText(random, 300) : null;
            for (var tag = random.Next(20); tag > 0; tag--)
            {
                secret.Properties.Tags[RandomText(random, 600)] = RandomText(random, 600);
            }

            if (random.Next(5) == 0)
            {
                secret.Properties.ExpiresOn = DateTimeOffset.UnixEpoch.AddSeconds(random.NextInt64(0, 1L << 36));
                secret.Properties.NotBefore = DateTimeOffset.UnixEpoch.AddSeconds(random.NextInt64(0, 1L << 36));
            }

            await TryAsync($"secret trial {trial}", name, () => Secrets.SetSecretAsync(secret), () => Secrets.GetSecretAsync(name));
        }

        Report();
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static JsonWebKey[] ValidKeys()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var aes = Aes.Create();
        return [new JsonWebKey(rsa, includePrivateParameters: true), new JsonWebKey(ec, includePrivateParameters: true), new JsonWebKey(aes)];
    }

    private static JsonWebKey Mutate(Random random, JsonWebKey jwk)
    {
        for (var edits = 1 + random.Next(3); edits > 0; edits--)
        {
            var member = Members[random.Next(Members.Length)];
            switch (member)
            {
                case "kty":
                    jwk.KeyType = new KeyType(new[] { "RSA", "EC", "oct", "RSA-HSM", "EC-HSM", "oct-HSM", string.Empty, "rsa", "OKP" }[random.Next(9)]);
                    break;
                case "crv":
                    jwk.CurveName = random.Next(4) == 0 ? (KeyCurveName?)null : new KeyCurveName(new[] { "P-256", "P-384", "P-521", "P-256K", "X25519", string.Empty }[random.Next(6)]);
                    break;
                case "key_ops":
                    jwk.KeyOps = random.Next(3) == 0 ? null! : [.. Enumerable.Range(0, random.Next(5)).Select(_ => new KeyOperation(new[] { "sign", "verify", "encrypt", "wrapKey", "import", "bogus", string.Empty }[random.Next(7)]))];
                    break;
                default:
                    SetMember(jwk, member, MutateBytes(random, GetMember(jwk, member)));
                    break;
            }
        }

        return jwk;
    }

    private static byte[]? MutateBytes(Random random, byte[]? value) => random.Next(6) switch
    {
        0 => null,
        1 => [],
        2 => RandomBytes(random, random.Next(1, 1100)),
        3 when value is { Length: > 1 } => value[..random.Next(1, value.Length)],
        4 when value is not null => [.. value, .. RandomBytes(random, random.Next(1, 64))],
        _ when value is { Length: > 0 } => FlipBytes(random, value.ToArray(), 1),
        _ => RandomBytes(random, 32),
    };

    private static byte[]? GetMember(JsonWebKey jwk, string member) => member switch
    {
        "n" => jwk.N, "e" => jwk.E, "d" => jwk.D, "p" => jwk.P, "q" => jwk.Q, "dp" => jwk.DP, "dq" => jwk.DQ, "qi" => jwk.QI, "x" => jwk.X, "y" => jwk.Y, _ => jwk.K,
    };

    private static void SetMember(JsonWebKey jwk, string member, byte[]? value)
    {
        switch (member)
        {
            case "n": jwk.N = value; break;
            case "e": jwk.E = value; break;
            case "d": jwk.D = value; break;
            case "p": jwk.P = value; break;
            case "q": jwk.Q = value; break;
            case "dp": jwk.DP = value; break;
            case "dq": jwk.DQ = value; break;
            case "qi": jwk.QI = value; break;
            case "x": jwk.X = value; break;
            case "y": jwk.Y = value; break;
            default: jwk.K = value; break;
        }
    }

    private static CertificatePolicy RandomPolicy(Random random)
    {
        var issuer = new[] { WellKnownIssuerNames.Self, WellKnownIssuerNames.Unknown, "nobody", string.Empty }[random.Next(4)];
        var subject = random.Next(3) switch { 0 => "CN=ok.example.com", 1 => RandomText(random, 60), _ => "CN=a,O=b,C=" + RandomText(random, 3) };
        var policy = new CertificatePolicy(issuer, subject)
        {
            KeyType = random.Next(5) == 0 ? new CertificateKeyType(RandomText(random, 4)) : new[] { CertificateKeyType.Ec, CertificateKeyType.Rsa, CertificateKeyType.Ec }[random.Next(3)],
            KeySize = random.Next(3) == 0 ? new[] { -1, 0, 1024, 2048, 3000, 8192, int.MaxValue }[random.Next(7)] : null,
            KeyCurveName = random.Next(3) == 0 ? new CertificateKeyCurveName(new[] { "P-256", "P-384", "P-999", string.Empty }[random.Next(4)]) : (CertificateKeyCurveName?)null,
            ValidityInMonths = random.Next(3) == 0 ? new[] { -5, 0, 1, 12, 1200, int.MaxValue }[random.Next(6)] : null,
            ContentType = random.Next(4) == 0 ? new CertificateContentType(RandomText(random, 10)) : (CertificateContentType?)null,
            Exportable = random.Next(2) == 0,
        };
        for (var san = random.Next(4); san > 0; san--)
        {
            policy.SubjectAlternativeNames ??= new SubjectAlternativeNames();
            policy.SubjectAlternativeNames.DnsNames.Add(RandomText(random, 30));
            policy.SubjectAlternativeNames.IpAddresses.Add(random.Next(2) == 0 ? "10.0.0.1" : RandomText(random, 10));
            policy.SubjectAlternativeNames.Emails.Add(RandomText(random, 20));
        }

        for (var usage = random.Next(3); usage > 0; usage--)
        {
            policy.KeyUsage.Add(new CertificateKeyUsage(random.Next(2) == 0 ? "digitalSignature" : RandomText(random, 8)));
            policy.EnhancedKeyUsage.Add(random.Next(2) == 0 ? "1.3.6.1.5.5.7.3.1" : RandomText(random, 12));
        }

        for (var action = random.Next(3); action > 0; action--)
        {
            policy.LifetimeActions.Add(new LifetimeAction(random.Next(2) == 0 ? CertificatePolicyAction.AutoRenew : new CertificatePolicyAction(RandomText(random, 6)))
            {
                DaysBeforeExpiry = random.Next(2) == 0 ? random.Next(-10, 5000) : null,
                LifetimePercentage = random.Next(2) == 0 ? random.Next(-10, 150) : null,
            });
        }

        return policy;
    }

    private static X509Certificate2 SelfSigned(ECDsa key, string subject)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(Start.AddDays(-1), Start.AddYears(2));
    }

    private static string MutateText(Random random, string text)
    {
        var chars = new StringBuilder(text);
        for (var edits = 1 + random.Next(4); edits > 0 && chars.Length > 0; edits--)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(4))
            {
                case 0: chars.Remove(at, Math.Min(chars.Length - at, 1 + random.Next(40))); break;
                case 1: chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                case 2: chars[at] = (char)random.Next(32, 127); break;
                default: chars.Insert(at, "-----BEGIN PRIVATE KEY-----\n"); break;
            }
        }

        return chars.ToString();
    }

    private static string RandomText(Random random, int maxLength)
    {
        var text = new StringBuilder();
        for (var length = random.Next(maxLength + 1); length > 0; length--)
        {
            text.Append(random.Next(3) == 0 ? Alphabet[random.Next(Alphabet.Length)] : ((char)random.Next('a', 'z' + 1)).ToString());
        }

        return text.ToString();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] FlipBytes(Random random, byte[] bytes, int count)
    {
        for (; count > 0; count--)
        {
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        }

        return bytes;
    }

    /// <summary>Runs one fuzzed call: its result, or a typed refusal after which the name holds nothing.</summary>
    private async Task TryAsync(string trial, string name, Func<Task> call, Func<Task> lookup)
    {
        try
        {
            await call();
            _accepted++;
        }
        catch (VaultException refused)
        {
            _refused++;
            if (refused.Status == 400 || refused.Status == 403)
            {
                try
                {
                    await lookup();
                    _untyped.Add($"{trial}: refused ({refused.ErrorCode}) but '{name}' exists afterwards");
                }
                catch (VaultException)
                {
                    // Nothing was written under the name: the refusal changed nothing.
                }
            }
        }
        catch (Exception ex)
        {
            _untyped.Add($"{trial}: {ex.GetType().FullName}: {ex.Message} {Where(ex)}");
        }
    }

    /// <summary>The first frames of the vault's own code that let the exception through.</summary>
    private static string Where(Exception ex) =>
        string.Join(" / ", (ex.StackTrace ?? string.Empty).Split('\n').Where(f => f.Contains("KeyVault.Embedded.", StringComparison.Ordinal) && !f.Contains(".Tests.", StringComparison.Ordinal)).Take(2).Select(f => f.Trim()));

    private void Report()
    {
        string.Join("\n", _untyped).Should().BeEmpty($"every refusal must be the vault's typed error ({_accepted} accepted, {_refused} refused)");
        _refused.Should().BeGreaterThan(_accepted / 10, "the fuzzer must reach the refusal paths");
    }
}
