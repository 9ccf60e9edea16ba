using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Certificate lifetime actions, evaluated on the vault's clock: AutoRenew issues a new version from the policy at
/// the trigger (a lifetime percentage or days before expiry); EmailContacts reports each version once.
/// </summary>
internal sealed class CertificateLifetime
{
    private const ObjectType Type = ObjectType.Certificate;
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly CertificateModels _models;
    private readonly CertificateVersions _versions;
    private readonly CertificateContacts _contacts;

    public CertificateLifetime(VaultCore core, ObjectLifecycle lifecycle, CertificateModels models, CertificateVersions versions, CertificateContacts contacts)
    {
        _core = core;
        _lifecycle = lifecycle;
        _models = models;
        _versions = versions;
        _contacts = contacts;
    }

    public async ValueTask<CertificateLifetimeActionResults> ApplyAsync(CancellationToken cancellationToken)
    {
        var now = _core.Time.GetUtcNow();
        var renewed = new List<KeyVaultCertificateWithPolicy>();
        var nearExpiry = new List<CertificateProperties>();
        var failed = new Dictionary<string, VaultException>(StringComparer.Ordinal);

        // Everything the pass reads is read (and authenticated) before it acts, so a damaged record stops it before any write.
        var contacts = CertificateContacts.ToPublic(await _contacts.ReadAsync(cancellationToken).ConfigureAwait(false));
        foreach (var current in await _lifecycle.ListCurrentAsync(Type, cancellationToken).ConfigureAwait(false))
        {
            if (current.Object.Policy is not { } json || !current.Attributes.Enabled
                || current.Attributes.NotBefore is not { } notBefore || current.Attributes.ExpiresOn is not { } expiresOn)
            {
                continue;
            }

            var policy = CertificatePolicies.Read(json);
            if (policy.LifetimeActions.FirstOrDefault() is not { } action)
            {
                continue;
            }

            var due = action.LifetimePercentage is { } percent
                ? notBefore + ((expiresOn - notBefore) * percent / 100)
                : expiresOn - (action.DaysBeforeExpiry!.Value * 86_400L);
            if (now.ToUnixTimeSeconds() < due)
            {
                continue;
            }

            if (action.Action == CertificatePolicyAction.AutoRenew.Value)
            {
                if (_core.Manifest.TryGetObject(ObjectType.CertificateOperation, current.Name, out _))
                {
                    continue;
                }

                try
                {
                    // A version that was already due when it was made (its issuer's CA expires first) would be renewed
                    // on every evaluation: report it instead.
                    if (current.Attributes.Created >= due)
                    {
                        throw VaultErrors.BadParameter($"Certificate '{current.Name}' was due for renewal when its current version was made: its issuer's CA certificate expires too soon; renew the CA first.");
                    }

                    // Only while this version is still current when the renewal commits: once, whichever caller or
                    // instance gets there first.
                    if (await _versions.RenewAsync(current.Name, policy, new RecordAttributes { Tags = current.Attributes.Tags }, current, cancellationToken).ConfigureAwait(false) is not { } next)
                    {
                        continue;
                    }

                    renewed.Add(next);
                    _core.Events.Raise(Events.VaultEventType.Renewed, Type, next.Name, next.Properties.Version);
                }
                catch (VaultException ex) when (ex is not VaultIntegrityException)
                {
                    failed[current.Name] = ex;
                }
                catch (Exception ex) when (MalformedInput.Is(ex))
                {
                    // A policy that cannot be issued (it passed the rules of its day) fails its own renewal, not the pass.
                    failed[current.Name] = VaultErrors.BadParameter($"Certificate '{current.Name}' could not be renewed from its policy ({ex.GetType().Name}).");
                }
            }
            else if (policy.NotifiedVersion != current.Version)
            {
                // Remember the notified version, so each version is reported once.
                await _core.Writer.WriteAsync(tx => _lifecycle.UpdatePolicyAsync(tx, Type, current.Name, _ => CertificatePolicies.Write(policy with { NotifiedVersion = current.Version }), ObjectAccess.Certificate, cancellationToken), cancellationToken).ConfigureAwait(false);
                nearExpiry.Add(_models.ToProperties(current));
            }
        }

        return new CertificateLifetimeActionResults(renewed, nearExpiry, [.. contacts], failed);
    }
}
