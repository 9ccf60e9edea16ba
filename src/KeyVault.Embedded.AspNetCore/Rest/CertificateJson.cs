using System.Text.Json;
using KeyVault.Embedded.Certificates;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// Azure's certificate shapes: <c>CertificateBundle</c>, <c>CertificateItem</c>, <c>CertificatePolicy</c> (snake_case
/// members, as the REST API has them), <c>CertificateOperation</c>; and the policy read from a request.
/// </summary>
internal static class CertificateJson
{
    public static void Bundle(Utf8JsonWriter w, RestRequest r, KeyVaultCertificate c, Action<Utf8JsonWriter>? extra = null)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id(c.Id));
        if (c.KeyId is { } kid)
        {
            w.WriteString("kid", r.Id(kid));
        }

        if (c.SecretId is { } sid)
        {
            w.WriteString("sid", r.Id(sid));
        }

        if (c.Properties.X509Thumbprint is { } thumbprint)
        {
            RestWriters.Base64Url(w, "x5t", thumbprint);
        }

        if (c.Cer is { Length: > 0 } cer)
        {
            w.WriteBase64String("cer", cer);
        }

        RestWriters.Attributes(w, c.Properties);
        RestWriters.Tags(w, c.Properties.Tags);
        if (c is KeyVaultCertificateWithPolicy { Policy: { } policy })
        {
            w.WritePropertyName("policy");
            Policy(w, r, c.Name, policy);
        }

        extra?.Invoke(w);
        w.WriteEndObject();
    }

    public static void Item(Utf8JsonWriter w, RestRequest r, CertificateProperties p, bool versionless = false)
    {
        w.WriteString("id", versionless ? r.ObjectId(p.Id) : r.Id(p.Id));
        RestWriters.Attributes(w, p);
        RestWriters.Tags(w, p.Tags);
        if (p.X509Thumbprint is { } thumbprint)
        {
            RestWriters.Base64Url(w, "x5t", thumbprint);
        }
    }

    public static void Policy(Utf8JsonWriter w, RestRequest r, string name, CertificatePolicy p)
    {
        w.WriteStartObject();
        w.WriteString("id", $"{r.Origin}/certificates/{Uri.EscapeDataString(name)}/policy");
        w.WriteStartObject("key_props");
        if (p.Exportable is { } exportable)
        {
            w.WriteBoolean("exportable", exportable);
        }

        if (p.KeyType is { } kty)
        {
            w.WriteString("kty", kty.ToString());
        }

        if (p.KeySize is { } size)
        {
            w.WriteNumber("key_size", size);
        }

        if (p.ReuseKey is { } reuse)
        {
            w.WriteBoolean("reuse_key", reuse);
        }

        if (p.KeyCurveName is { } crv)
        {
            w.WriteString("crv", crv.ToString());
        }

        w.WriteEndObject();
        if (p.ContentType is { } contentType)
        {
            w.WriteStartObject("secret_props");
            w.WriteString("contentType", contentType.ToString());
            w.WriteEndObject();
        }

        w.WriteStartObject("x509_props");
        if (p.Subject is { } subject)
        {
            w.WriteString("subject", subject);
        }

        if (p.SubjectAlternativeNames is { } sans)
        {
            w.WriteStartObject("sans");
            Strings(w, "emails", sans.Emails);
            Strings(w, "dns_names", sans.DnsNames);
            Strings(w, "upns", sans.UserPrincipalNames);
            Strings(w, "uris", sans.UniformResourceIdentifiers);
            Strings(w, "ipAddresses", sans.IpAddresses);
            w.WriteEndObject();
        }

        Strings(w, "ekus", p.EnhancedKeyUsage);
        Strings(w, "key_usage", p.KeyUsage.Select(u => u.ToString()).ToList());
        if (p.ValidityInMonths is { } months)
        {
            w.WriteNumber("validity_months", months);
        }

        w.WriteEndObject();
        w.WriteStartArray("lifetime_actions");
        foreach (var action in p.LifetimeActions)
        {
            w.WriteStartObject();
            w.WriteStartObject("trigger");
            if (action.LifetimePercentage is { } percentage)
            {
                w.WriteNumber("lifetime_percentage", percentage);
            }

            if (action.DaysBeforeExpiry is { } days)
            {
                w.WriteNumber("days_before_expiry", days);
            }

            w.WriteEndObject();
            w.WriteStartObject("action");
            w.WriteString("action_type", action.Action.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("issuer");
        w.WriteString("name", p.IssuerName);
        if (p.CertificateType is { } cty)
        {
            w.WriteString("cty", cty);
        }

        if (p.CertificateTransparency is { } transparency)
        {
            w.WriteBoolean("cert_transparency", transparency);
        }

        w.WriteEndObject();
        w.WriteStartObject("attributes");
        if (p.Enabled is { } enabled)
        {
            w.WriteBoolean("enabled", enabled);
        }

        RestWriters.Unix(w, "created", p.CreatedOn);
        RestWriters.Unix(w, "updated", p.UpdatedOn);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Operation(Utf8JsonWriter w, RestRequest r, CertificateOperationProperties o)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id(o.Id));
        w.WriteStartObject("issuer");
        w.WriteString("name", o.IssuerName);
        w.WriteEndObject();
        if (o.Csr is { Length: > 0 } csr)
        {
            w.WriteBase64String("csr", csr);
        }

        w.WriteBoolean("cancellation_requested", o.CancellationRequested);
        w.WriteString("status", o.Status);
        if (o.StatusDetails is { } details)
        {
            w.WriteString("status_details", details);
        }

        if (o.Error is { } error)
        {
            w.WritePropertyName("error");
            Error(w, error);
        }

        if (o.Target is { } target)
        {
            w.WriteString("target", Uri.TryCreate(target, UriKind.Absolute, out var uri) ? r.Id(uri) : target);
        }

        if (o.RequestId is { } requestId)
        {
            w.WriteString("request_id", requestId);
        }

        w.WriteEndObject();
    }

    /// <summary>A policy from a request, laid over <paramref name="policy"/> (what the request leaves out stays).</summary>
    public static void ApplyPolicy(JsonElement json, CertificatePolicy policy)
    {
        if (RestJson.Object(json, "key_props") is { } key)
        {
            policy.Exportable = RestJson.Bool(key, "exportable") ?? policy.Exportable;
            policy.KeyType = RestJson.String(key, "kty") is { } kty ? new CertificateKeyType(kty) : policy.KeyType;
            policy.KeySize = RestJson.Int(key, "key_size") ?? policy.KeySize;
            policy.ReuseKey = RestJson.Bool(key, "reuse_key") ?? policy.ReuseKey;
            policy.KeyCurveName = RestJson.String(key, "crv") is { } crv ? new CertificateKeyCurveName(crv) : policy.KeyCurveName;
        }

        if (RestJson.Object(json, "secret_props") is { } secret && RestJson.String(secret, "contentType") is { } contentType)
        {
            policy.ContentType = new CertificateContentType(contentType);
        }

        if (RestJson.Object(json, "x509_props") is { } x509)
        {
            policy.Subject = RestJson.String(x509, "subject") ?? policy.Subject;
            if (RestJson.Object(x509, "sans") is { } sansJson)
            {
                var sans = new SubjectAlternativeNames();
                Fill(sans.Emails, RestJson.Strings(sansJson, "emails"));
                Fill(sans.DnsNames, RestJson.Strings(sansJson, "dns_names"));
                Fill(sans.UserPrincipalNames, RestJson.Strings(sansJson, "upns"));
                Fill(sans.UniformResourceIdentifiers, RestJson.Strings(sansJson, "uris"));
                Fill(sans.IpAddresses, RestJson.Strings(sansJson, "ipAddresses") ?? RestJson.Strings(sansJson, "ip_addresses"));
                policy.SubjectAlternativeNames = sans;
            }

            if (RestJson.Strings(x509, "ekus") is { } ekus)
            {
                policy.EnhancedKeyUsage.Clear();
                Fill(policy.EnhancedKeyUsage, ekus);
            }

            if (RestJson.Strings(x509, "key_usage") is { } usages)
            {
                policy.KeyUsage.Clear();
                foreach (var usage in usages)
                {
                    policy.KeyUsage.Add(new CertificateKeyUsage(usage));
                }
            }

            policy.ValidityInMonths = RestJson.Int(x509, "validity_months") ?? policy.ValidityInMonths;
        }

        if (RestJson.Get(json, "lifetime_actions") is { } actions)
        {
            if (actions.ValueKind != JsonValueKind.Array)
            {
                throw new RestBadRequestException("'lifetime_actions' must be an array.");
            }

            policy.LifetimeActions.Clear();
            foreach (var item in actions.EnumerateArray())
            {
                var type = RestJson.Object(item, "action") is { } action ? RestJson.String(action, "action_type") : null;
                var trigger = RestJson.Object(item, "trigger");
                policy.LifetimeActions.Add(new LifetimeAction(new CertificatePolicyAction(type ?? throw new RestBadRequestException("Each of 'lifetime_actions' needs 'action.action_type'.")))
                {
                    LifetimePercentage = trigger is { } t ? RestJson.Int(t, "lifetime_percentage") : null,
                    DaysBeforeExpiry = trigger is { } u ? RestJson.Int(u, "days_before_expiry") : null,
                });
            }
        }

        if (RestJson.Object(json, "issuer") is { } issuer)
        {
            if (RestJson.String(issuer, "name") is { } issuerName)
            {
                policy.IssuerName = issuerName;
            }

            policy.CertificateTransparency = RestJson.Bool(issuer, "cert_transparency") ?? policy.CertificateTransparency;
            policy.CertificateType = RestJson.String(issuer, "cty") ?? policy.CertificateType;
        }

        if (RestJson.Object(json, "attributes") is { } attributes && RestJson.Bool(attributes, "enabled") is { } enabled)
        {
            policy.Enabled = enabled;
        }
    }

    /// <summary>
    /// A new certificate's policy from a request (issuer <paramref name="issuer"/> unless it names one: <c>Self</c> for
    /// a create; none for an import, whose policy is the certificate's with the request's laid over).
    /// </summary>
    public static CertificatePolicy NewPolicy(JsonElement json, string issuer = WellKnownIssuerNames.Self)
    {
        var policy = new CertificatePolicy(issuer, string.Empty) { Subject = null };
        ApplyPolicy(json, policy);
        return policy;
    }

    private static void Error(Utf8JsonWriter w, CertificateOperationError error)
    {
        w.WriteStartObject();
        w.WriteString("code", error.Code);
        w.WriteString("message", error.Message);
        if (error.InnerError is { } inner)
        {
            w.WritePropertyName("innererror");
            Error(w, inner);
        }

        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        var list = values as ICollection<string> ?? values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var value in list)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void Fill(IList<string> target, List<string>? values)
    {
        foreach (var value in values ?? [])
        {
            target.Add(value);
        }
    }
}
