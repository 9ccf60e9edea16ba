using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// The vault's certificate issuers: each names a CA certificate of this vault that signs certificates whose policy
/// names the issuer (provider <see cref="CertificateIssuer.VaultCertificateProvider"/>). One setting per issuer.
/// </summary>
internal sealed class CertificateIssuers
{
    private const string Prefix = "certificates/issuers/";
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly CertificateModels _models;
    private readonly VaultSettings _settings;

    public CertificateIssuers(VaultCore core, ObjectLifecycle lifecycle, CertificateModels models)
    {
        _core = core;
        _lifecycle = lifecycle;
        _models = models;
        _settings = new VaultSettings(core);
    }

    public static string ValidateName(string? name)
    {
        ObjectRules.ValidateName(ObjectType.Certificate, name);
        if (string.Equals(name, WellKnownIssuerNames.Self, StringComparison.OrdinalIgnoreCase) || string.Equals(name, WellKnownIssuerNames.Unknown, StringComparison.OrdinalIgnoreCase))
        {
            throw VaultErrors.BadParameter($"CertificateIssuer.Name '{name}' is reserved.");
        }

        return name!;
    }

    public async ValueTask<StoredIssuer?> ReadAsync(string name, CancellationToken cancellationToken = default) =>
        await _settings.GetAsync(Setting(name), cancellationToken).ConfigureAwait(false) is { } json ? Parse(json) : null;

    public async ValueTask<StoredIssuer?> ReadAsync(VaultTransaction tx, string name, CancellationToken cancellationToken = default) =>
        await tx.SettingAsync(Setting(name), cancellationToken).ConfigureAwait(false) is { } setting ? Parse(setting.Value) : null;

    /// <summary>The names of the registered issuers (for policy validation).</summary>
    public async ValueTask<HashSet<string>> NamesAsync(CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken).ConfigureAwait(false)).Select(i => i.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public async ValueTask<IReadOnlyList<StoredIssuer>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _settings.ListAsync(Prefix, cancellationToken).ConfigureAwait(false)).Select(s => Parse(s.Value)).ToList();

    /// <summary>Creates or updates an issuer; its CA certificate must exist in this vault and be a CA.</summary>
    public async ValueTask<CertificateIssuer> PutAsync(CertificateIssuer issuer, bool creating, CancellationToken cancellationToken)
    {
        var name = ValidateName(issuer.Name);
        if (!creating && IsVault(issuer.Provider) && issuer.CertificateName is null && await ReadAsync(name, cancellationToken).ConfigureAwait(false) is { } current && !IsVault(current.Provider))
        {
            // An update that names no provider (the constructor's default) keeps the outside CA's.
            var kept = new CertificateIssuer(issuer.Name, current.Provider) { AccountId = issuer.AccountId, OrganizationId = issuer.OrganizationId, Enabled = issuer.Enabled };
            foreach (var administrator in issuer.AdministratorContacts)
            {
                kept.AdministratorContacts.Add(administrator);
            }

            issuer = kept;
        }

        if (!IsVault(issuer.Provider))
        {
            return await PutOutsideAsync(name, issuer, creating, cancellationToken).ConfigureAwait(false);
        }

        return await _core.Writer.WriteAsync(async tx =>
        {
            var existing = await ReadAsync(tx, name, cancellationToken).ConfigureAwait(false);
            if (!creating && existing is null)
            {
                throw VaultErrors.IssuerNotFound(name);
            }

            var certificateName = issuer.CertificateName ?? existing?.CertificateName
                ?? throw VaultErrors.BadParameter("CertificateIssuer.CertificateName is required: the CA certificate of this vault that signs for the issuer.");
            ObjectRules.ValidateName(ObjectType.Certificate, certificateName);
            using (var authority = _models.LoadCertificate(await _lifecycle.GetCurrentAsync(ObjectType.Certificate, certificateName, cancellationToken).ConfigureAwait(false)))
            {
                if (!CertificateIssuance.IsAuthority(authority))
                {
                    throw VaultErrors.BadParameter($"CertificateIssuer.CertificateName '{certificateName}' is not a CA certificate: it needs basic constraints CA and key usage keyCertSign.");
                }
            }

            var now = tx.Now;
            var stored = new StoredIssuer(existing?.Name ?? name, CertificateIssuer.VaultCertificateProvider, certificateName, issuer.Enabled ?? existing?.Enabled ?? true, existing?.Created ?? now, now);
            VaultSettings.Put(tx, Setting(name), JsonSerializer.Serialize(stored, RecordJsonContext.Default.StoredIssuer));
            return ToPublic(stored);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a provider is this vault's own CA (else an outside CA, recorded but never reached).</summary>
    public static bool IsVault(string? provider) => string.Equals(provider, CertificateIssuer.VaultCertificateProvider, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Creates or updates an issuer of an outside CA: its provider, account, organization and administrators, as Azure
    /// records them (the password is never stored). Issuance under it is refused (<see cref="CertificateAuthorities"/>).
    /// </summary>
    private async ValueTask<CertificateIssuer> PutOutsideAsync(string name, CertificateIssuer issuer, bool creating, CancellationToken cancellationToken)
    {
        var provider = issuer.Provider;
        if (string.IsNullOrWhiteSpace(provider) || provider.Length > 64 || !provider.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw VaultErrors.BadParameter("CertificateIssuer.Provider must be 1 to 64 ASCII letters, digits, '-', '_' or '.'.");
        }

        if (issuer.CertificateName is not null)
        {
            throw VaultErrors.BadParameter($"CertificateIssuer.CertificateName names a CA certificate of this vault, which only provider '{CertificateIssuer.VaultCertificateProvider}' signs with; '{provider}' is an outside CA.");
        }

        var administrators = issuer.AdministratorContacts.Select(a => new StoredAdministrator(Text(a.FirstName, "FirstName"), Text(a.LastName, "LastName"), Text(a.Email, "Email"), Text(a.Phone, "Phone"))).ToList();
        var account = Text(issuer.AccountId, nameof(CertificateIssuer.AccountId));
        var organization = Text(issuer.OrganizationId, nameof(CertificateIssuer.OrganizationId));
        return await _core.Writer.WriteAsync(async tx =>
        {
            var existing = await ReadAsync(tx, name, cancellationToken).ConfigureAwait(false);
            if (!creating && existing is null)
            {
                throw VaultErrors.IssuerNotFound(name);
            }

            var now = tx.Now;
            var stored = new StoredIssuer(existing?.Name ?? name, provider, null, issuer.Enabled ?? existing?.Enabled ?? true, existing?.Created ?? now, now,
                account ?? (creating ? null : existing?.AccountId),
                organization ?? (creating ? null : existing?.OrganizationId),
                administrators.Count > 0 ? administrators : creating ? null : existing?.Administrators);
            VaultSettings.Put(tx, Setting(name), JsonSerializer.Serialize(stored, RecordJsonContext.Default.StoredIssuer));
            return ToPublic(stored);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A recorded text field: at most 256 characters, no control characters.</summary>
    private static string? Text(string? value, string field) =>
        value is null ? null
        : value.Length > 256 || value.Any(char.IsControl) ? throw VaultErrors.BadParameter($"CertificateIssuer.{field} must be at most 256 characters, without control characters.")
        : value;

    public async ValueTask<CertificateIssuer> DeleteAsync(string issuerName, CancellationToken cancellationToken)
    {
        var name = ValidateName(issuerName);
        return await _core.Writer.WriteAsync(async tx =>
        {
            var issuer = await ReadAsync(tx, name, cancellationToken).ConfigureAwait(false) ?? throw VaultErrors.IssuerNotFound(name);
            VaultSettings.Delete(tx, Setting(name));
            return ToPublic(issuer);
        }, cancellationToken).ConfigureAwait(false);
    }

    public CertificateIssuer ToPublic(StoredIssuer stored)
    {
        var issuer = new CertificateIssuer(stored.Name, stored.Provider)
        {
            Id = IdOf(stored.Name),
            CertificateName = stored.CertificateName,
            AccountId = stored.AccountId,
            OrganizationId = stored.OrganizationId,
            Enabled = stored.Enabled,
            CreatedOn = RecordAttributes.FromUnix(stored.Created),
            UpdatedOn = RecordAttributes.FromUnix(stored.Updated),
        };
        foreach (var administrator in stored.Administrators ?? [])
        {
            issuer.AdministratorContacts.Add(new AdministratorContact { FirstName = administrator.FirstName, LastName = administrator.LastName, Email = administrator.Email, Phone = administrator.Phone });
        }

        return issuer;
    }

    public IssuerProperties ToProperties(StoredIssuer stored) => new(IdOf(stored.Name), stored.Name, stored.Provider);

    private Uri IdOf(string name) => new(_core.Uri, $"certificates/issuers/{name}");

    private static string Setting(string name) => Prefix + ObjectRules.Normalize(name);

    private static StoredIssuer Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RecordJsonContext.Default.StoredIssuer) ?? throw new VaultIntegrityException("A certificate issuer setting is unreadable.");
        }
        catch (JsonException ex)
        {
            throw new VaultIntegrityException("A certificate issuer setting is unreadable.", ex);
        }
    }
}
