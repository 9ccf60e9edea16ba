using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Certificates;

/// <summary>Validates certificate policies with Azure Key Vault's rules, resolves their defaults, and converts them.</summary>
internal static class CertificatePolicies
{
    public const int MaxValidityInMonths = 1200;
    public const int DefaultValidityInMonths = 12;
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private static readonly string[] KnownKeyUsages =
        ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"];

    /// <summary>Checks a policy and resolves its defaults.</summary>
    /// <param name="policy">The policy as given.</param>
    /// <param name="now">The vault's time.</param>
    /// <param name="previous">The stored policy it replaces, if any (keeps its creation time and notification record).</param>
    /// <param name="issuerExists">Whether an issuer of that name is registered in the vault.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> naming the field and rule.</exception>
    public static StoredCertificatePolicy Resolve(CertificatePolicy policy, DateTimeOffset now, StoredCertificatePolicy? previous, Func<string, bool> issuerExists)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrWhiteSpace(policy.IssuerName))
        {
            throw VaultErrors.BadParameter("CertificatePolicy.IssuerName is required: Self, Unknown, or an issuer registered in the vault.");
        }

        var issuer = policy.IssuerName switch
        {
            _ when string.Equals(policy.IssuerName, WellKnownIssuerNames.Self, StringComparison.OrdinalIgnoreCase) => WellKnownIssuerNames.Self,
            _ when string.Equals(policy.IssuerName, WellKnownIssuerNames.Unknown, StringComparison.OrdinalIgnoreCase) => WellKnownIssuerNames.Unknown,
            _ when issuerExists(policy.IssuerName) => policy.IssuerName,
            _ => throw VaultErrors.BadParameter($"CertificatePolicy.IssuerName '{policy.IssuerName}' is neither Self, Unknown, nor an issuer registered in this vault."),
        };

        var sans = policy.SubjectAlternativeNames ?? new SubjectAlternativeNames();
        if (string.IsNullOrWhiteSpace(policy.Subject) && sans.IsEmpty)
        {
            throw VaultErrors.BadParameter("CertificatePolicy needs a Subject or SubjectAlternativeNames.");
        }

        if (!string.IsNullOrWhiteSpace(policy.Subject))
        {
            try
            {
                _ = new X500DistinguishedName(policy.Subject);
            }
            catch (Exception ex) when (MalformedInput.Is(ex))
            {
                throw new VaultException(VaultErrorCode.BadParameter, 400, $"CertificatePolicy.Subject '{policy.Subject}' is not a distinguished name (for example CN=api.example.com, O=Contoso).", ex);
            }
        }

        ValidateSans(sans);

        var keyType = policy.KeyType ?? CertificateKeyType.Rsa;
        var family = keyType.Value switch
        {
            "RSA" or "RSA-HSM" => KeyType.Rsa,
            "EC" or "EC-HSM" => KeyType.Ec,
            _ => throw VaultErrors.BadParameter($"CertificatePolicy.KeyType '{keyType}' is not supported: use RSA, RSA-HSM, EC or EC-HSM."),
        };
        int? size = null;
        string? curve = null;
        if (family == KeyType.Rsa)
        {
            if (policy.KeyCurveName is not null)
            {
                throw VaultErrors.BadParameter("CertificatePolicy.KeyCurveName applies to EC keys only.");
            }

            size = policy.KeySize ?? 2048;
            if (!KeyTypes.RsaSizes.Contains(size.Value))
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.KeySize {size} is not valid: RSA keys are 2048, 3072 or 4096 bits.");
            }
        }
        else
        {
            curve = (policy.KeyCurveName ?? CertificateKeyCurveName.P256).Value;
            if (!Curves.IsSupported(curve))
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.KeyCurveName '{curve}' is not valid: use P-256, P-256K, P-384 or P-521.");
            }

            if (policy.KeySize is { } ecSize && ecSize != ExpectedEcSize(curve))
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.KeySize {ecSize} does not match curve {curve}.");
            }
        }

        var hsm = keyType.Value.EndsWith("-HSM", StringComparison.Ordinal);
        if (hsm && policy.Exportable == true)
        {
            throw VaultErrors.BadParameter("CertificatePolicy.Exportable cannot be true for an -HSM key: its private key never leaves the token.");
        }

        var contentType = (policy.ContentType ?? CertificateContentType.Pkcs12).Value;
        if (contentType != CertificateContentType.Pkcs12.Value && contentType != CertificateContentType.Pem.Value)
        {
            throw VaultErrors.BadParameter($"CertificatePolicy.ContentType '{contentType}' is not supported: use {CertificateContentType.Pkcs12} or {CertificateContentType.Pem}.");
        }

        var months = policy.ValidityInMonths ?? DefaultValidityInMonths;
        if (months is < 1 or > MaxValidityInMonths)
        {
            throw VaultErrors.BadParameter($"CertificatePolicy.ValidityInMonths {months} is not valid: from 1 to {MaxValidityInMonths}.");
        }

        var keyUsage = policy.KeyUsage.Select(u => u.Value).Distinct(StringComparer.Ordinal).ToList();
        foreach (var usage in keyUsage)
        {
            if (!KnownKeyUsages.Contains(usage))
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.KeyUsage '{usage}' is not a key usage: use {string.Join(", ", KnownKeyUsages)}.");
            }
        }

        if (keyUsage.Count == 0)
        {
            keyUsage = family == KeyType.Rsa ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"];
        }

        var ekus = policy.EnhancedKeyUsage.Distinct(StringComparer.Ordinal).ToList();
        foreach (var eku in ekus)
        {
            if (!IsObjectIdentifier(eku))
            {
                throw VaultErrors.BadParameter($"CertificatePolicy.EnhancedKeyUsage '{eku}' is not an object identifier (for example {ServerAuthentication}).");
            }
        }

        if (ekus.Count == 0 && !keyUsage.Contains("keyCertSign"))
        {
            ekus = [ServerAuthentication, ClientAuthentication];
        }

        var actions = ResolveActions(policy, issuer, months);
        var unix = now.ToUnixTimeSeconds();
        return new StoredCertificatePolicy
        {
            Issuer = issuer,
            Subject = string.IsNullOrWhiteSpace(policy.Subject) ? null : policy.Subject,
            DnsNames = [.. sans.DnsNames],
            Emails = [.. sans.Emails],
            UserPrincipalNames = [.. sans.UserPrincipalNames],
            IpAddresses = [.. sans.IpAddresses],
            Uris = [.. sans.UniformResourceIdentifiers],
            KeyType = keyType.Value,
            KeySize = size,
            Curve = curve,
            Exportable = !hsm && (policy.Exportable ?? true),
            ReuseKey = policy.ReuseKey ?? false,
            ContentType = contentType,
            ValidityInMonths = months,
            Enabled = policy.Enabled ?? true,
            CertificateTransparency = policy.CertificateTransparency,
            CertificateType = CheckedCertificateType(policy.CertificateType),
            KeyUsage = keyUsage,
            EnhancedKeyUsage = ekus,
            LifetimeActions = actions,
            Created = previous?.Created ?? unix,
            Updated = unix,
            NotifiedVersion = previous?.NotifiedVersion,
        };
    }

    public static CertificatePolicy ToPublic(StoredCertificatePolicy stored)
    {
        var sans = new SubjectAlternativeNames();
        Fill(sans.DnsNames, stored.DnsNames);
        Fill(sans.Emails, stored.Emails);
        Fill(sans.UserPrincipalNames, stored.UserPrincipalNames);
        Fill(sans.IpAddresses, stored.IpAddresses);
        Fill(sans.UniformResourceIdentifiers, stored.Uris);
        var policy = new CertificatePolicy(stored.Issuer, stored.Subject!, sans)
        {
            KeyType = new CertificateKeyType(stored.KeyType),
            KeySize = stored.KeySize,
            KeyCurveName = stored.Curve is null ? null : (CertificateKeyCurveName?)new CertificateKeyCurveName(stored.Curve),
            Exportable = stored.Exportable,
            ReuseKey = stored.ReuseKey,
            ContentType = new CertificateContentType(stored.ContentType),
            ValidityInMonths = stored.ValidityInMonths,
            Enabled = stored.Enabled,
            CertificateTransparency = stored.CertificateTransparency,
            CertificateType = stored.CertificateType,
            CreatedOn = RecordAttributes.FromUnix(stored.Created),
            UpdatedOn = RecordAttributes.FromUnix(stored.Updated),
        };
        Fill(policy.KeyUsage, stored.KeyUsage.Select(u => new CertificateKeyUsage(u)));
        Fill(policy.EnhancedKeyUsage, stored.EnhancedKeyUsage);
        Fill(policy.LifetimeActions, stored.LifetimeActions.Select(a => new LifetimeAction(a.Action) { DaysBeforeExpiry = a.DaysBeforeExpiry, LifetimePercentage = a.LifetimePercentage }));
        return policy;
    }

    /// <summary>The policy Azure derives for an imported certificate: what the certificate says, issuer Unknown, notify at 80%.</summary>
    public static CertificatePolicy Derive(X509Certificate2 certificate, KeyAttributes key, bool pem)
    {
        var sans = new SubjectAlternativeNames();
        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } extension)
        {
            GeneralNames.Read(extension.RawData, sans);
        }

        var policy = new CertificatePolicy(WellKnownIssuerNames.Unknown, certificate.Subject, sans)
        {
            KeyType = new CertificateKeyType(key.KeyType),
            KeySize = key.Size,
            KeyCurveName = key.Curve is null ? null : (CertificateKeyCurveName?)new CertificateKeyCurveName(key.Curve),
            Exportable = true,
            ReuseKey = false,
            ContentType = pem ? CertificateContentType.Pem : CertificateContentType.Pkcs12,
            ValidityInMonths = Math.Clamp((int)Math.Round((certificate.NotAfter - certificate.NotBefore).TotalDays / 30.44), 1, MaxValidityInMonths),
        };
        if (string.IsNullOrEmpty(certificate.Subject))
        {
            policy.Subject = null;
        }

        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage)
        {
            Fill(policy.KeyUsage, KeyUsageNames(usage.KeyUsages).Select(u => new CertificateKeyUsage(u)));
        }

        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } enhanced)
        {
            Fill(policy.EnhancedKeyUsage, enhanced.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value!));
        }

        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.EmailContacts) { LifetimePercentage = 80 });
        return policy;
    }

    /// <summary>The certificate type as given (null when empty), at most 256 characters.</summary>
    private static string? CheckedCertificateType(string? type) =>
        string.IsNullOrWhiteSpace(type) ? null
        : type.Length <= 256 ? type
        : throw VaultErrors.BadParameter("CertificatePolicy.CertificateType is at most 256 characters.");

    /// <summary>
    /// The policy an import with <paramref name="given"/> stores, as Azure makes it: the certificate's own X.509
    /// properties (<paramref name="derived"/>: subject, alternative names, usages, validity), and the given policy's
    /// issuer, secret content type, key settings, lifetime actions and enabled state where it sets them.
    /// </summary>
    public static CertificatePolicy ForImport(CertificatePolicy given, CertificatePolicy derived)
    {
        if (!string.IsNullOrWhiteSpace(given.IssuerName))
        {
            derived.IssuerName = given.IssuerName;
        }

        derived.ContentType = given.ContentType ?? derived.ContentType;
        derived.Exportable = given.Exportable ?? derived.Exportable;
        derived.ReuseKey = given.ReuseKey ?? derived.ReuseKey;
        derived.Enabled = given.Enabled ?? derived.Enabled;
        derived.CertificateTransparency = given.CertificateTransparency ?? derived.CertificateTransparency;
        derived.CertificateType = given.CertificateType ?? derived.CertificateType;
        if (given.LifetimeActions.Count > 0)
        {
            derived.LifetimeActions.Clear();
            Fill(derived.LifetimeActions, given.LifetimeActions);
        }

        return derived;
    }

    public static X509KeyUsageFlags KeyUsageFlags(IEnumerable<string> names) => names.Aggregate(X509KeyUsageFlags.None, (flags, name) => flags | name switch
    {
        "digitalSignature" => X509KeyUsageFlags.DigitalSignature,
        "nonRepudiation" => X509KeyUsageFlags.NonRepudiation,
        "keyEncipherment" => X509KeyUsageFlags.KeyEncipherment,
        "dataEncipherment" => X509KeyUsageFlags.DataEncipherment,
        "keyAgreement" => X509KeyUsageFlags.KeyAgreement,
        "keyCertSign" => X509KeyUsageFlags.KeyCertSign,
        "cRLSign" => X509KeyUsageFlags.CrlSign,
        "encipherOnly" => X509KeyUsageFlags.EncipherOnly,
        "decipherOnly" => X509KeyUsageFlags.DecipherOnly,
        _ => X509KeyUsageFlags.None,
    });

    public static StoredCertificatePolicy Read(string json) =>
        JsonSerializer.Deserialize(json, RecordJsonContext.Default.StoredCertificatePolicy)
        ?? throw new VaultIntegrityException("A certificate policy is unreadable.");

    public static string Write(StoredCertificatePolicy policy) => JsonSerializer.Serialize(policy, RecordJsonContext.Default.StoredCertificatePolicy);

    private static IReadOnlyList<StoredCertificateLifetimeAction> ResolveActions(CertificatePolicy policy, string issuer, int months)
    {
        if (policy.LifetimeActions.Count > 1)
        {
            throw VaultErrors.BadParameter("CertificatePolicy.LifetimeActions holds at most one action.");
        }

        if (policy.LifetimeActions.Count == 0)
        {
            // Azure's default: renew at 80% of the lifetime where the vault can issue, otherwise tell the contacts.
            var action = issuer == WellKnownIssuerNames.Unknown ? CertificatePolicyAction.EmailContacts : CertificatePolicyAction.AutoRenew;
            return [new StoredCertificateLifetimeAction(action.Value, null, 80)];
        }

        var given = policy.LifetimeActions[0] ?? throw VaultErrors.BadParameter("CertificatePolicy.LifetimeActions may not hold a null action.");
        if (given.Action != CertificatePolicyAction.AutoRenew && given.Action != CertificatePolicyAction.EmailContacts)
        {
            throw VaultErrors.BadParameter($"CertificatePolicy.LifetimeActions action '{given.Action}' is not supported: use AutoRenew or EmailContacts.");
        }

        if (given.Action == CertificatePolicyAction.AutoRenew && issuer == WellKnownIssuerNames.Unknown)
        {
            throw VaultErrors.BadParameter("CertificatePolicy.LifetimeActions cannot AutoRenew with issuer Unknown: an outside CA signs those; use EmailContacts.");
        }

        if ((given.DaysBeforeExpiry is null) == (given.LifetimePercentage is null))
        {
            throw VaultErrors.BadParameter("CertificatePolicy.LifetimeActions needs exactly one trigger: DaysBeforeExpiry or LifetimePercentage.");
        }

        if (given.LifetimePercentage is { } percent && percent is < 1 or > 99)
        {
            throw VaultErrors.BadParameter($"CertificatePolicy.LifetimeActions LifetimePercentage {percent} is not valid: from 1 to 99.");
        }

        if (given.DaysBeforeExpiry is { } days && (days < 1 || days >= months * 28))
        {
            throw VaultErrors.BadParameter($"CertificatePolicy.LifetimeActions DaysBeforeExpiry {days} is not valid: at least 1 and less than the validity ({months} months).");
        }

        return [new StoredCertificateLifetimeAction(given.Action.Value, given.DaysBeforeExpiry, given.LifetimePercentage)];
    }

    private static void ValidateSans(SubjectAlternativeNames sans)
    {
        foreach (var dns in sans.DnsNames)
        {
            if (string.IsNullOrWhiteSpace(dns) || dns.Length > 253 || dns.Any(char.IsWhiteSpace) || !Encodes(b => b.AddDnsName(dns)))
            {
                throw VaultErrors.BadParameter($"SubjectAlternativeNames.DnsNames '{dns}' is not a DNS name (labels of 1 to 63 characters, no empty label).");
            }
        }

        foreach (var email in sans.Emails)
        {
            if (string.IsNullOrWhiteSpace(email) || email.IndexOf('@') is < 1 || email.Any(char.IsWhiteSpace) || !Ascii.IsValid(email))
            {
                throw VaultErrors.BadParameter($"SubjectAlternativeNames.Emails '{email}' is not an email address (ASCII, as the certificate's rfc822Name is an IA5String).");
            }
        }

        foreach (var upn in sans.UserPrincipalNames)
        {
            if (string.IsNullOrWhiteSpace(upn))
            {
                throw VaultErrors.BadParameter("SubjectAlternativeNames.UserPrincipalNames holds an empty name.");
            }

            if (!Encodes(b => b.AddUserPrincipalName(upn)))
            {
                throw VaultErrors.BadParameter("SubjectAlternativeNames.UserPrincipalNames holds a name that is not text (a lone surrogate).");
            }
        }

        foreach (var ip in sans.IpAddresses)
        {
            if (!IPAddress.TryParse(ip, out _))
            {
                throw VaultErrors.BadParameter($"SubjectAlternativeNames.IpAddresses '{ip}' is not an IP address.");
            }
        }

        foreach (var uri in sans.UniformResourceIdentifiers)
        {
            // An IA5String in the certificate: ASCII only (an IRI's host in its punycode form). A local path such as
            // "/x" parses as an absolute file URI on Unix, so the text must name its scheme.
            if (uri is null || !Ascii.IsValid(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.IsFile || parsed.IsUnc
                || !uri.StartsWith(parsed.Scheme + ":", StringComparison.OrdinalIgnoreCase) || uri.Any(char.IsWhiteSpace))
            {
                throw VaultErrors.BadParameter($"SubjectAlternativeNames.UniformResourceIdentifiers '{uri}' is not an absolute ASCII URI with a scheme.");
            }
        }
    }

    /// <summary>
    /// Whether .NET's builder, the one issuance uses, takes the name: what it refuses (an empty DNS label, a label
    /// over 63 characters, text UTF-8 cannot encode) is refused when the policy is set, not at the next renewal.
    /// </summary>
    private static bool Encodes(Action<SubjectAlternativeNameBuilder> add)
    {
        try
        {
            add(new SubjectAlternativeNameBuilder());
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// An object identifier DER can encode, as the extended key usage extension is encoded at issuance (under arcs 0
    /// and 1 the second arc is at most 39).
    /// </summary>
    private static bool IsObjectIdentifier(string? value)
    {
        var parts = value?.Split('.') ?? [];
        if (parts.Length < 2 || !parts.All(p => p.Length is > 0 and <= 20 && p.All(char.IsAsciiDigit)) || parts[0] is not ("0" or "1" or "2"))
        {
            return false;
        }

        try
        {
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            writer.WriteObjectIdentifier(value!);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return false;
        }
    }

    private static int ExpectedEcSize(string curve) => curve switch
    {
        "P-384" => 384,
        "P-521" => 521,
        _ => 256,
    };

    private static IEnumerable<string> KeyUsageNames(X509KeyUsageFlags flags) =>
        KnownKeyUsages.Where(name => (flags & KeyUsageFlags([name])) != 0);

    private static void Fill<T>(ICollection<T> target, IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            target.Add(item);
        }
    }
}
