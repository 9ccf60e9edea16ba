using System.Text.Json;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Cli.Output;

namespace KeyVault.Embedded.Cli.Input;

/// <summary>
/// A certificate policy in the shape <c>az keyvault certificate get-default-policy</c> prints and <c>--policy</c> takes
/// (camelCase: <c>issuerParameters</c>, <c>keyProperties</c>, <c>secretProperties</c>, <c>x509CertificateProperties</c>,
/// <c>lifetimeActions</c>, <c>attributes</c>), so that az's policy files work unchanged. Reading is strict: a field this
/// tool does not know is refused by its path (a misspelt field silently ignored would issue a different certificate),
/// and nulls stand for absent. The rules on the values (key sizes, curves, validity) are the vault's own.
/// </summary>
internal static class PolicyJson
{
    private static readonly Dictionary<string, string[]> Fields = new(StringComparer.Ordinal)
    {
        [""] = ["id", "issuerParameters", "keyProperties", "secretProperties", "x509CertificateProperties", "lifetimeActions", "attributes"],
        ["issuerParameters"] = ["name", "certificateType", "certificateTransparency"],
        ["keyProperties"] = ["exportable", "keyType", "keySize", "reuseKey", "curve"],
        ["secretProperties"] = ["contentType"],
        ["x509CertificateProperties"] = ["subject", "subjectAlternativeNames", "ekus", "keyUsage", "validityInMonths"],
        ["x509CertificateProperties.subjectAlternativeNames"] = ["dnsNames", "emails", "upns", "uris", "ipAddresses"],
        ["attributes"] = ["enabled", "created", "updated"],
        ["lifetimeActions[]"] = ["action", "trigger"],
        ["lifetimeActions[].action"] = ["actionType"],
        ["lifetimeActions[].trigger"] = ["daysBeforeExpiry", "lifetimePercentage"],
    };

    /// <summary>
    /// The policy in <paramref name="text"/>: JSON, or <c>@PATH</c> for a file holding it (az's convention).
    /// Errors name <paramref name="option"/> and the field, never the file's content.
    /// </summary>
    public static CertificatePolicy Read(string text, string option)
    {
        if (text.StartsWith('@'))
        {
            text = System.Text.Encoding.UTF8.GetString(CommandInput.ReadFile(text[1..], option));
        }

        JsonNode? node;
        try
        {
            // Duplicate names refused: which of two keySize values wins must never be a guess.
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            throw CliException.BadParameter($"{option} is not valid JSON (give the policy as JSON, or @FILE).");
        }

        var root = node as JsonObject ?? throw CliException.BadParameter($"{option} must be a JSON object, as 'kv certificate get-default-policy' prints.");
        var reader = new Reader(option);
        reader.Check(root, "");
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, string.Empty) { Subject = null };
        if (reader.Object(root, "issuerParameters", "") is { } issuer)
        {
            policy.IssuerName = reader.String(issuer, "name", "issuerParameters") ?? policy.IssuerName;
            if (reader.String(issuer, "certificateType", "issuerParameters") is not null)
            {
                throw CliException.BadParameter($"{option}: 'issuerParameters.certificateType' is not supported: an embedded vault issues through itself or a CA certificate of its own.");
            }

            if (reader.Bool(issuer, "certificateTransparency", "issuerParameters") is true)
            {
                throw CliException.BadParameter($"{option}: 'issuerParameters.certificateTransparency' is not supported: the vault's issuers log to no CT log.");
            }
        }

        if (reader.Object(root, "keyProperties", "") is { } key)
        {
            policy.Exportable = reader.Bool(key, "exportable", "keyProperties");
            policy.KeyType = reader.String(key, "keyType", "keyProperties") is { } kty ? new CertificateKeyType(kty) : (CertificateKeyType?)null;
            policy.KeySize = reader.Int(key, "keySize", "keyProperties");
            policy.ReuseKey = reader.Bool(key, "reuseKey", "keyProperties");
            policy.KeyCurveName = reader.String(key, "curve", "keyProperties") is { } crv ? new CertificateKeyCurveName(crv) : (CertificateKeyCurveName?)null;
        }

        if (reader.Object(root, "secretProperties", "") is { } secret && reader.String(secret, "contentType", "secretProperties") is { } contentType)
        {
            policy.ContentType = new CertificateContentType(contentType);
        }

        if (reader.Object(root, "x509CertificateProperties", "") is { } x509)
        {
            const string X509 = "x509CertificateProperties";
            policy.Subject = reader.String(x509, "subject", X509);
            if (reader.Object(x509, "subjectAlternativeNames", X509) is { } sansJson)
            {
                const string Sans = X509 + ".subjectAlternativeNames";
                var sans = new SubjectAlternativeNames();
                Fill(sans.DnsNames, reader.Strings(sansJson, "dnsNames", Sans));
                Fill(sans.Emails, reader.Strings(sansJson, "emails", Sans));
                Fill(sans.UserPrincipalNames, reader.Strings(sansJson, "upns", Sans));
                Fill(sans.UniformResourceIdentifiers, reader.Strings(sansJson, "uris", Sans));
                Fill(sans.IpAddresses, reader.Strings(sansJson, "ipAddresses", Sans));
                policy.SubjectAlternativeNames = sans;
            }

            Fill(policy.EnhancedKeyUsage, reader.Strings(x509, "ekus", X509));
            foreach (var usage in reader.Strings(x509, "keyUsage", X509) ?? [])
            {
                policy.KeyUsage.Add(new CertificateKeyUsage(usage));
            }

            policy.ValidityInMonths = reader.Int(x509, "validityInMonths", X509);
        }

        if (reader.Array(root, "lifetimeActions") is { } actions)
        {
            foreach (var item in actions)
            {
                var action = item as JsonObject ?? throw CliException.BadParameter($"{option}: each of 'lifetimeActions' must be an object.");
                reader.Check(action, "lifetimeActions[]");
                var type = reader.Object(action, "action", "lifetimeActions[]") is { } a ? reader.String(a, "actionType", "lifetimeActions[].action") : null;
                var trigger = reader.Object(action, "trigger", "lifetimeActions[]");
                policy.LifetimeActions.Add(new LifetimeAction(new CertificatePolicyAction(type ?? throw CliException.BadParameter($"{option}: each of 'lifetimeActions' needs 'action.actionType'.")))
                {
                    DaysBeforeExpiry = trigger is null ? null : reader.Int(trigger, "daysBeforeExpiry", "lifetimeActions[].trigger"),
                    LifetimePercentage = trigger is null ? null : reader.Int(trigger, "lifetimePercentage", "lifetimeActions[].trigger"),
                });
            }
        }

        if (reader.Object(root, "attributes", "") is { } attributes)
        {
            policy.Enabled = reader.Bool(attributes, "enabled", "attributes");
        }

        return policy;
    }

    /// <summary>A policy in az's shape (fields the policy leaves unset are left out).</summary>
    public static JsonObject Write(CertificatePolicy p)
    {
        var key = new JsonObject();
        Add(key, "exportable", p.Exportable);
        Add(key, "keyType", p.KeyType?.ToString());
        Add(key, "keySize", p.KeySize);
        Add(key, "reuseKey", p.ReuseKey);
        Add(key, "curve", p.KeyCurveName?.ToString());
        var x509 = new JsonObject();
        Add(x509, "subject", p.Subject);
        if (p.SubjectAlternativeNames is { } sans)
        {
            var names = new JsonObject();
            AddStrings(names, "dnsNames", sans.DnsNames);
            AddStrings(names, "emails", sans.Emails);
            AddStrings(names, "upns", sans.UserPrincipalNames);
            AddStrings(names, "uris", sans.UniformResourceIdentifiers);
            AddStrings(names, "ipAddresses", sans.IpAddresses);
            if (names.Count > 0)
            {
                x509["subjectAlternativeNames"] = names;
            }
        }

        AddStrings(x509, "ekus", p.EnhancedKeyUsage);
        AddStrings(x509, "keyUsage", p.KeyUsage.Select(u => u.ToString()).ToList());
        Add(x509, "validityInMonths", p.ValidityInMonths);
        var json = new JsonObject
        {
            ["issuerParameters"] = new JsonObject { ["name"] = p.IssuerName },
            ["keyProperties"] = key,
        };
        if (p.ContentType is { } contentType)
        {
            json["secretProperties"] = new JsonObject { ["contentType"] = contentType.ToString() };
        }

        json["x509CertificateProperties"] = x509;
        json["lifetimeActions"] = new JsonArray(p.LifetimeActions.Select(a =>
        {
            var trigger = new JsonObject();
            Add(trigger, "daysBeforeExpiry", a.DaysBeforeExpiry);
            Add(trigger, "lifetimePercentage", a.LifetimePercentage);
            return (JsonNode?)new JsonObject { ["action"] = new JsonObject { ["actionType"] = a.Action.ToString() }, ["trigger"] = trigger };
        }).ToArray());
        var attributes = new JsonObject();
        Add(attributes, "enabled", p.Enabled);
        Add(attributes, "created", Json.Date(p.CreatedOn));
        Add(attributes, "updated", Json.Date(p.UpdatedOn));
        json["attributes"] = attributes;
        return json;
    }

    /// <summary>
    /// az's default policy, field for field: self-signed <c>CN=CLIGetDefaultPolicy</c>, RSA 2048 exportable and reused,
    /// PKCS#12, twelve months, the six key usages, renewed 90 days before expiry.
    /// </summary>
    public static JsonObject Default()
    {
        var policy = new CertificatePolicy(WellKnownIssuerNames.Self, "CN=CLIGetDefaultPolicy")
        {
            Exportable = true,
            KeyType = CertificateKeyType.Rsa,
            KeySize = 2048,
            ReuseKey = true,
            ContentType = CertificateContentType.Pkcs12,
            ValidityInMonths = 12,
        };
        foreach (var usage in new[] { CertificateKeyUsage.CrlSign, CertificateKeyUsage.DataEncipherment, CertificateKeyUsage.DigitalSignature, CertificateKeyUsage.KeyEncipherment, CertificateKeyUsage.KeyAgreement, CertificateKeyUsage.KeyCertSign })
        {
            policy.KeyUsage.Add(usage);
        }

        policy.LifetimeActions.Add(new LifetimeAction(CertificatePolicyAction.AutoRenew) { DaysBeforeExpiry = 90 });
        var json = Write(policy);
        json.Remove("attributes");
        return json;
    }

    private static void Add(JsonObject json, string name, string? value)
    {
        if (value is not null)
        {
            json[name] = value;
        }
    }

    private static void Add(JsonObject json, string name, bool? value)
    {
        if (value is { } v)
        {
            json[name] = v;
        }
    }

    private static void Add(JsonObject json, string name, int? value)
    {
        if (value is { } v)
        {
            json[name] = v;
        }
    }

    private static void AddStrings(JsonObject json, string name, ICollection<string> values)
    {
        if (values.Count > 0)
        {
            json[name] = new JsonArray(values.Select(v => (JsonNode?)v).ToArray());
        }
    }

    private static void Fill(IList<string> target, List<string>? values)
    {
        foreach (var value in values ?? [])
        {
            target.Add(value);
        }
    }

    /// <summary>Typed reads whose errors name the option and the field's path.</summary>
    private sealed class Reader(string option)
    {
        public void Check(JsonObject json, string path)
        {
            var known = Fields[path];
            foreach (var (name, _) in json)
            {
                if (!known.Contains(name, StringComparer.Ordinal))
                {
                    throw CliException.BadParameter($"{option}: '{Join(path, name)}' is not a certificate policy field (known here: {string.Join(", ", known)}).");
                }
            }
        }

        public JsonObject? Object(JsonObject json, string name, string path)
        {
            var value = json[name];
            if (value is null)
            {
                return null;
            }

            var result = value as JsonObject ?? throw Wrong(path, name, "an object");
            Check(result, Join(path, name));
            return result;
        }

        public JsonArray? Array(JsonObject json, string name) =>
            json[name] switch
            {
                null => null,
                JsonArray array => array,
                _ => throw Wrong("", name, "an array"),
            };

        public string? String(JsonObject json, string name, string path) => Value<string>(json, name, path, "a string");

        public bool? Bool(JsonObject json, string name, string path) => json[name] is null ? null : Value<bool>(json, name, path, "true or false");

        public int? Int(JsonObject json, string name, string path) => json[name] is null ? null : Value<int>(json, name, path, "a whole number");

        public List<string>? Strings(JsonObject json, string name, string path)
        {
            if (json[name] is null)
            {
                return null;
            }

            if (json[name] is not JsonArray array)
            {
                throw Wrong(path, name, "an array of strings");
            }

            return array.Select(item => item is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Wrong(path, name, "an array of strings")).ToList();
        }

        private T? Value<T>(JsonObject json, string name, string path, string expected)
        {
            var value = json[name];
            if (value is null)
            {
                return default;
            }

            return value is JsonValue v && v.TryGetValue<T>(out var result) ? result : throw Wrong(path, name, expected);
        }

        private CliException Wrong(string path, string name, string expected) =>
            CliException.BadParameter($"{option}: '{Join(path, name)}' must be {expected}.");

        private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
    }
}
