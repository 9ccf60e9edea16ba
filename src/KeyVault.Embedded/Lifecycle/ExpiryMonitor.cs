using KeyVault.Embedded.Events;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Storage;

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
    public IReadOnlyList<VaultEvent> Check(TimeSpan nearExpiryWindow)
    {
        var now = _core.Time.GetUtcNow();
        var due = new List<(ObjectVersion Version, VaultEventType Notice, DateTimeOffset ExpiresOn)>();
        foreach (var type in Watched)
        {
            foreach (var current in _lifecycle.ListCurrent(type))
            {
                if (current.Object.ManagedBy is null && current.Attributes.Enabled && RecordAttributes.FromUnix(current.Attributes.ExpiresOn) is { } expiresOn
                    && (expiresOn <= now || expiresOn - now <= nearExpiryWindow))
                {
                    due.Add((current, expiresOn <= now ? VaultEventType.Expired : VaultEventType.NearExpiry, expiresOn));
                }
            }
        }

        var raised = new List<VaultEvent>();
        lock (_core.Sync)
        {
            _core.ThrowIfDisposed();
            var batch = new WriteBatch();
            var reported = ReadMarkers();
            foreach (var (current, notice, expiresOn) in due)
            {
                var key = MarkerKey(current.Object.Type, current.Object.NormalizedName);
                // The expiry date is part of it: a version whose expiry is moved is reported again for the new date.
                var marker = $"{current.Version}:{notice}:{current.Attributes.ExpiresOn}";
                if (reported.GetValueOrDefault(key) != marker)
                {
                    batch.Settings.Add(_core.Authenticator.Seal(new SettingRecord(key, marker)));
                    raised.Add(_core.Events.Create(notice, VaultEvents.ToKind(current.Object.Type)!.Value, current.Name, current.Version, expiresOn));
                }
            }

            // Markers of purged objects go too.
            foreach (var key in reported.Keys)
            {
                var (type, normalizedName) = ParseMarkerKey(key);
                if (_core.Store.FindObject(StorageKeys.Object(type, normalizedName)) is null)
                {
                    batch.DeletedSettings.Add(key);
                }
            }

            if (batch.Settings.Count > 0 || batch.DeletedSettings.Count > 0)
            {
                _core.Apply(batch);
            }
        }

        foreach (var notice in raised)
        {
            _core.Events.Publish(notice);
        }

        return raised;
    }

    private static string MarkerKey(ObjectType type, string normalizedName) => $"{SettingPrefix}{(int)type}/{normalizedName}";

    private static (ObjectType Type, string NormalizedName) ParseMarkerKey(string key)
    {
        var rest = key[SettingPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return ((ObjectType)int.Parse(rest[..slash], System.Globalization.CultureInfo.InvariantCulture), rest[(slash + 1)..]);
    }

    /// <summary>The markers as stored, each authenticated. Call under the vault's lock.</summary>
    private Dictionary<string, string> ReadMarkers()
    {
        var records = _core.Store.ReadSettings(SettingPrefix);
        foreach (var record in records)
        {
            _core.Authenticator.Verify(record);
        }

        return records.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
    }
}
