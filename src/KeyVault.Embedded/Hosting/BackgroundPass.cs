using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Events;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Hosting;

/// <summary>
/// One pass of the background work: purge what reached its purge date, apply key rotation policies, apply certificate
/// lifetime actions, raise near-expiry and expired notices, prune audit records past their retention. A step that fails is logged and the others still run; it
/// runs again next pass.
/// </summary>
internal sealed class BackgroundPass
{
    private readonly ILogger _logger;
    private readonly TimeSpan _nearExpiryWindow;
    private readonly Access.VaultPrincipal _principal;

    public BackgroundPass(ILogger logger, TimeSpan nearExpiryWindow, Access.VaultPrincipal? principal = null)
    {
        _logger = logger;
        _nearExpiryWindow = nearExpiryWindow;
        _principal = principal ?? Access.VaultPrincipal.Application;
    }

    public async Task<Result> RunAsync(EmbeddedVault vault, CancellationToken cancellationToken)
    {
        using var caller = vault.RunAs(_principal);
        var result = new Result { At = vault.Core.Time.GetUtcNow() };

        // On a shared store one instance at a time runs the pass, on the vault as every instance left it: a due item is
        // handled once, by whichever instance gets the lease.
        await using var lease = vault.Core.Store is Storage.ISharedRecordStore shared
            ? await shared.TryLeaseAsync("background", cancellationToken).ConfigureAwait(false) ?? Elsewhere
            : null;
        if (ReferenceEquals(lease, Elsewhere))
        {
            result.RanElsewhere = true;
            _logger.LogDebug(VaultLogEvents.BackgroundPass, "Background pass skipped: another instance of the vault is running one.");
            return result;
        }

        await vault.Core.Writer.RefreshAsync(cancellationToken).ConfigureAwait(false);
        await Step("purge", async () => result.Purged = await vault.PurgeDueDeletedObjectsAsync(cancellationToken).ConfigureAwait(false), result).ConfigureAwait(false);
        await Step("key rotation policies", async () => result.Rotated = (await vault.Keys.ApplyRotationPoliciesAsync(cancellationToken).ConfigureAwait(false)).Rotated.Count, result).ConfigureAwait(false);
        await Step("certificate lifetime actions", async () =>
        {
            var actions = await vault.Certificates.ApplyLifetimeActionsAsync(cancellationToken).ConfigureAwait(false);
            result.Renewed = actions.Renewed.Count;
            foreach (var (name, failure) in actions.Failed)
            {
                result.Failures++;
                _logger.LogError(VaultLogEvents.BackgroundStepFailed, failure, "The background service could not renew certificate '{Name}': {ErrorCode}. It tries again next pass.", name, failure.ErrorCode);
            }
        }, result).ConfigureAwait(false);
        await Step("expiry", async () =>
        {
            foreach (var notice in await vault.CheckExpiryAsync(_nearExpiryWindow, cancellationToken).ConfigureAwait(false))
            {
                if (notice.EventType == VaultEventType.Expired)
                {
                    result.Expired++;
                    _logger.LogWarning(VaultLogEvents.Expired, "{Kind} '{Name}' version {Version} expired on {ExpiresOn:u}.", notice.ObjectKind, notice.Name, notice.Version, notice.ExpiresOn);
                }
                else
                {
                    result.NearExpiry++;
                    _logger.LogWarning(VaultLogEvents.NearExpiry, "{Kind} '{Name}' version {Version} expires on {ExpiresOn:u}.", notice.ObjectKind, notice.Name, notice.Version, notice.ExpiresOn);
                }
            }
        }, result).ConfigureAwait(false);

        if (vault.Core.Audit is { RetentionDays: > 0 })
        {
            await Step("audit retention", async () => result.AuditPruned = await vault.PruneAuditAsync(cancellationToken).ConfigureAwait(false), result).ConfigureAwait(false);
        }

        _logger.LogInformation(VaultLogEvents.BackgroundPass,
            "Background pass: {Purged} purged, {Rotated} keys rotated, {Renewed} certificates renewed, {NearExpiry} near expiry, {Expired} expired, {Failures} failures.",
            result.Purged, result.Rotated, result.Renewed, result.NearExpiry, result.Expired, result.Failures);
        return result;
    }

    /// <summary>Stands for a lease another instance holds.</summary>
    private static readonly IAsyncDisposable Elsewhere = new NoLease();

    private async Task Step(string name, Func<Task> step, Result result)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
        {
            result.Failures++;
            _logger.LogError(VaultLogEvents.BackgroundStepFailed, ex, "The background step '{Step}' failed; the other steps ran, and it runs again next pass.", name);
        }
    }

    /// <summary>What one pass did.</summary>
    internal sealed class Result
    {
        /// <summary>When the pass started, on the vault's clock.</summary>
        public DateTimeOffset At { get; init; }

        public int Purged { get; set; }

        public int Rotated { get; set; }

        public int Renewed { get; set; }

        public int NearExpiry { get; set; }

        public int Expired { get; set; }

        public int Failures { get; set; }

        public long AuditPruned { get; set; }

        /// <summary>Whether the pass did nothing because another instance of a shared vault was running one.</summary>
        public bool RanElsewhere { get; set; }
    }

    private sealed class NoLease : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
