using KeyVault.Embedded.Events;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// Finds current versions of secrets, keys and certificates that are near expiry or expired, and raises each notice
/// once per version and expiry date: what was reported is remembered in the vault (an authenticated setting per object), so a restart
/// does not report it again. A certificate's managed key and secret are reported through their certificate.
/// </summary>
internal sealed class ExpiryMonitor
{
    private const string SettingPrefix = "expiry/";
    private static readonly ObjectType[] Watched = [ObjectType.Secret, ObjectType.Key, ObjectType.Certificate];
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;

    public ExpiryMonitor(VaultCore core, ObjectLifecycle lifecycle)
    {
        _core = core;
        _lifecycle = lifecycle;
    }

    /// <summary>Raises NearExpiry and Expired notices not raised before; returns them.</summary>
    public async ValueTask<IReadOnlyList<VaultEvent>> CheckAsync(TimeSpan nearExpiryWindow, CancellationToken cancellationToken)
    {
        var now = _core.Time.GetUtcNow();
        var due = new List<(ObjectVersion Version, VaultEventType Notice, DateTimeOffset ExpiresOn)>();
        foreach (var type in Watched)
        {
            foreach (var current in await _lifecycle.ListCurrentAsync(type, cancellationToken).ConfigureAwait(false))
            {
                if (current.Object.ManagedBy is null && current.Attributes.Enabled && RecordAttributes.FromUnix(current.Attributes.ExpiresOn) is { } expiresOn
                    && (expiresOn <= now || expiresOn - now <= nearExpiryWindow))
                {
                    due.Add((current, expiresOn <= now ? VaultEventType.Expired : VaultEventType.NearExpiry, expiresOn));
                }
            }
        }

        var raised = new List<VaultEvent>();
        var reported = (await _core.Reader.SettingsAsync(SettingPrefix, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Name, r => r.Value, StringComparer.Ordinal);
        await _core.Writer.WriteAsync(tx =>
        {
            raised.Clear(); // a run whose commit was not made (a shared store moved on) runs again
            foreach (var (current, notice, expiresOn) in due)
            {
                var key = MarkerKey(current.Object.Type, current.Object.NormalizedName);

                // The expiry date is part of it: a version whose expiry is moved is reported again for the new date.
                var marker = $"{current.Version}:{notice}:{current.Attributes.ExpiresOn}";
                if (reported.GetValueOrDefault(key) != marker)
                {
                    VaultSettings.Put(tx, key, marker);
                    raised.Add(_core.Events.Create(notice, VaultEvents.ToKind(current.Object.Type)!.Value, current.Name, current.Version, expiresOn));
                }
            }

            // Markers of purged objects go too.
            foreach (var key in reported.Keys)
            {
                if (ParseMarkerKey(key) is not { } parsed || tx.Index(parsed.Type, parsed.NormalizedName) is null)
                {
                    VaultSettings.Delete(tx, key);
                }
            }

            return ValueTask.FromResult(true);
        }, cancellationToken).ConfigureAwait(false);

        foreach (var notice in raised)
        {
            _core.Events.Publish(notice);
        }

        return raised;
    }

    private static string MarkerKey(ObjectType type, string normalizedName) => $"{SettingPrefix}{(int)type}/{normalizedName}";

    private static (ObjectType Type, string NormalizedName)? ParseMarkerKey(string key)
    {
        var rest = key[SettingPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && int.TryParse(rest[..slash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var type) && Enum.IsDefined((ObjectType)type)
            ? ((ObjectType)type, rest[(slash + 1)..])
            : null;
    }
}
