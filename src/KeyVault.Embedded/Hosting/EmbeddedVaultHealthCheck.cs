using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeyVault.Embedded.Hosting;

/// <summary>
/// The vault's health: open (and not refusing writes after a failed one), root reachable (the root wraps a random
/// key: a removed token fails here), writes possible (a small durable write), and what is near expiry or expired (the
/// write and the expiry scan at most once a minute).
/// Unhealthy (or the registration's failure status) when one of the first three fails; Degraded when something is
/// near expiry or expired; otherwise Healthy. Data: vault id, near-expiry and expired counts.
/// </summary>
internal sealed class EmbeddedVaultHealthCheck : IHealthCheck
{
    private readonly EmbeddedVaultHolder _holder;

    public EmbeddedVaultHealthCheck(EmbeddedVaultHolder holder)
    {
        _holder = holder;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        EmbeddedVault vault;
        try
        {
            vault = await _holder.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new HealthCheckResult(failure, $"The vault is not open: {(ex as VaultException)?.ErrorCode.ToString() ?? ex.GetType().Name}.", ex);
        }

        var core = vault.Core;
        if (core.IsDisposed)
        {
            return new HealthCheckResult(failure, "The vault is closed.");
        }

        if (core.IsFaulted)
        {
            return new HealthCheckResult(failure, "A write failed; the vault refuses writes until it is reopened.");
        }

        VaultHealth health;
        try
        {
            using (vault.RunAs(_holder.Options.Background.Principal ?? Access.VaultPrincipal.Application))
            {
                health = await vault.ProbeHealthAsync(_holder.Options.Background.NearExpiryWindow, _holder.HealthWrites, _holder.HealthExpiry, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.Forbidden)
        {
            return new HealthCheckResult(failure, "The health check's principal (EmbeddedVaultBackgroundOptions.Principal) may not probe the vault: give it Microsoft.KeyVault/vaults/embedded/health/action (Key Vault Administrator, or a custom role with just that action; under access policies, the Administrator role).", ex);
        }
        catch (ObjectDisposedException ex)
        {
            return new HealthCheckResult(failure, "The vault is closed.", ex);
        }

        var data = new Dictionary<string, object>
        {
            ["vaultId"] = core.Header.VaultId.ToString("N"),
            ["nearExpiry"] = health.NearExpiry,
            ["expired"] = health.Expired,
        };
        if (health.RootFailure is { } root)
        {
            return new HealthCheckResult(failure, "The root key is unreachable (is the token present?).", root, data);
        }

        if (health.WriteFailure is { } write)
        {
            return new HealthCheckResult(failure, "The vault cannot write.", write, data);
        }

        if (vault.KeyAdministration.Resealing is { } reseal)
        {
            data["keyEncryptionKeyReseal"] = $"{reseal.Completed}/{reseal.Total}";
        }

        if (core.Anchoring.Failure is { } anchor)
        {
            return HealthCheckResult.Degraded("The rollback anchor could not record the latest commit; the next commit tries again.", anchor, data);
        }

        return health.Expired + health.NearExpiry > 0
            ? HealthCheckResult.Degraded($"{health.Expired} expired and {health.NearExpiry} near-expiry objects.", data: data)
            : HealthCheckResult.Healthy("Open, root reachable, writes possible.", data);
    }
}
