using System.Text.Json.Nodes;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Cli.Input;

namespace KeyVault.Embedded.Cli.Output;

/// <summary>
/// Certificates, pending operations, issuers and contacts as JSON: flat attributes as for secrets and keys, az's names
/// for the rest (<c>cer</c>, <c>x509ThumbprintHex</c>, <c>kid</c>, <c>sid</c>, <c>policy</c> in az's policy shape). A
/// certificate's private key is never part of it.
/// </summary>
internal static class CertificateOutput
{
    public static JsonObject Properties(CertificateProperties properties)
    {
        var json = Json.Properties(properties);
        json["x509ThumbprintHex"] = properties.X509ThumbprintString;
        return json;
    }

    public static JsonObject Certificate(KeyVaultCertificate certificate)
    {
        var json = Properties(certificate.Properties);
        json["kid"] = certificate.KeyId?.ToString();
        json["sid"] = certificate.SecretId?.ToString();
        json["cer"] = Convert.ToBase64String(certificate.Cer);
        if (certificate is DeletedCertificate deleted)
        {
            json["recoveryId"] = deleted.RecoveryId?.ToString();
            json["deletedOn"] = Json.Date(deleted.DeletedOn);
            json["scheduledPurgeDate"] = Json.Date(deleted.ScheduledPurgeDate);
        }

        if (certificate is KeyVaultCertificateWithPolicy { Policy: { } policy })
        {
            json["policy"] = PolicyJson.Write(policy);
        }

        return json;
    }

    public static JsonObject Operation(CertificateOperationProperties operation)
    {
        var json = new JsonObject
        {
            ["name"] = operation.Name,
            ["id"] = operation.Id?.ToString(),
            ["issuerName"] = operation.IssuerName,
            ["status"] = operation.Status,
            ["statusDetails"] = operation.StatusDetails,
            ["cancellationRequested"] = operation.CancellationRequested,
            ["target"] = operation.Target,
            ["requestId"] = operation.RequestId,
            ["csr"] = operation.Csr is { Length: > 0 } csr ? Convert.ToBase64String(csr) : null,
        };
        if (operation.Error is { } error)
        {
            json["error"] = Error(error);
        }

        return json;
    }

    public static JsonObject Issuer(CertificateIssuer issuer) => new()
    {
        ["name"] = issuer.Name,
        ["id"] = issuer.Id?.ToString(),
        ["provider"] = issuer.Provider,
        ["certificateName"] = issuer.CertificateName,
        ["accountId"] = issuer.AccountId,
        ["organizationId"] = issuer.OrganizationId,
        ["enabled"] = issuer.Enabled,
        ["createdOn"] = Json.Date(issuer.CreatedOn),
        ["updatedOn"] = Json.Date(issuer.UpdatedOn),
    };

    public static JsonObject Issuer(IssuerProperties issuer) => new()
    {
        ["name"] = issuer.Name,
        ["id"] = issuer.Id?.ToString(),
        ["provider"] = issuer.Provider,
    };

    public static JsonArray Contacts(IEnumerable<CertificateContact> contacts) =>
        new(contacts.Select(c => (JsonNode?)new JsonObject { ["name"] = c.Name, ["email"] = c.Email, ["phone"] = c.Phone }).ToArray());

    private static JsonObject Error(CertificateOperationError error)
    {
        var json = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        if (error.InnerError is { } inner)
        {
            json["innererror"] = Error(inner);
        }

        return json;
    }
}
