using System.Security.Cryptography;
using System.Text.Json;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Sealing;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// The object lifecycle shared by secrets, keys and certificates, parameterised by <see cref="ObjectType"/>:
/// names, immutable versions, the current version, attribute updates, soft delete, recover, purge (with purge
/// protection) and purge at the end of retention. The stores on top only convert their payloads and models.
/// </summary>
/// <remarks>
/// Reads of cached records take no lock. Every change runs under the vault's write lock as one durable batch,
/// and updates the cache in the same critical section.
/// </remarks>
internal sealed class ObjectLifecycle
{
    /// <summary>The <see cref="ObjectRecord.ManagedBy"/> of a certificate's key and secret.</summary>
    public const string ManagedByCertificate = "certificate";
    private const long SecondsPerDay = 86_400;
    private readonly VaultCore _core;

    public ObjectLifecycle(VaultCore core)
    {
        _core = core;
    }

    /// <summary>The current version of an active object.</summary>
    /// <exception cref="VaultObjectNotFoundException">No such object, or it is deleted.</exception>
    public ObjectVersion GetCurrent(ObjectType type, string name)
    {
        var obj = FindObject(type, name);
        if (obj is null || obj.IsDeleted)
        {
            throw VaultErrors.NotFound(type, name);
        }

        return new ObjectVersion(obj, FindVersion(StorageKeys.Version(obj.Key, obj.CurrentVersion))
            ?? throw VaultErrors.NotFound(type, name));
    }

    /// <summary>A given version of an active object.</summary>
    public ObjectVersion GetVersion(ObjectType type, string name, string version)
    {
        var normalizedVersion = ObjectRules.NormalizeVersion(type, version);
        var obj = FindObject(type, name);
        if (obj is null || obj.IsDeleted)
        {
            throw VaultErrors.NotFound(type, name);
        }

        return new ObjectVersion(obj, FindVersion(StorageKeys.Version(obj.Key, normalizedVersion))
            ?? throw VaultErrors.VersionNotFound(type, name, version));
    }

    /// <summary>The current version of every active object of a type.</summary>
    public IReadOnlyList<ObjectVersion> ListCurrent(ObjectType type) => List(type, deleted: false);

    /// <summary>The current version of every deleted object of a type.</summary>
    public IReadOnlyList<ObjectVersion> ListDeleted(ObjectType type) => List(type, deleted: true);

    /// <summary>Every version of an active object, oldest first.</summary>
    public IReadOnlyList<ObjectVersion> ListVersions(ObjectType type, string name)
    {
        lock (_core.Sync)
        {
            var obj = LoadObjectLocked(type, name);
            if (obj is null || obj.IsDeleted)
            {
                throw VaultErrors.NotFound(type, name);
            }

            return _core.Store.FindVersions(obj.Key)
                .Select(record => new ObjectVersion(obj, Parse(record)))
                .OrderBy(v => v.Attributes.Sequence)
                .ToList();
        }
    }

    /// <summary>A deleted object (its current version and deletion state).</summary>
    public ObjectVersion GetDeleted(ObjectType type, string name)
    {
        lock (_core.Sync)
        {
            var obj = LoadObjectLocked(type, name);
            if (obj is null || !obj.IsDeleted)
            {
                throw VaultErrors.DeletedNotFound(type, name);
            }

            return new ObjectVersion(obj, LoadVersionLocked(StorageKeys.Version(obj.Key, obj.CurrentVersion))
                ?? throw VaultErrors.DeletedNotFound(type, name));
        }
    }

    /// <summary>
    /// Creates a new version that becomes current, sealing <paramref name="payload"/>. Creates the object when the
    /// name is new. A soft-deleted name cannot be reused until it is recovered or purged.
    /// </summary>
    public ObjectVersion CreateVersion(ObjectType type, string name, RecordAttributes attributes, ReadOnlyMemory<byte> payload, string? version = null) =>
        CreateVersions([new VersionWrite(type, name, attributes, payload)], version, ObjectAccess.Direct)[0];

    /// <summary>
    /// Creates one new version, with the same version id, of each object written (a certificate with its managed key
    /// and secret), and purges <paramref name="purgeWith"/> (a completed certificate operation), in one transaction.
    /// </summary>
    public IReadOnlyList<ObjectVersion> CreateVersions(IReadOnlyList<VersionWrite> writes, string? version, ObjectAccess access, IReadOnlyList<ObjectRecord>? purgeWith = null)
    {
        var created = new List<ObjectVersion>(writes.Count);
        lock (_core.Sync)
        {
            var now = _core.Now();
            version ??= ObjectRules.NewVersion();
            var batch = new WriteBatch { Shred = purgeWith is { Count: > 0 } };
            foreach (var write in writes)
            {
                var existing = LoadObjectLocked(write.Type, write.Name);
                CheckAccess(existing, write.Type, write.Name, access, creating: true);
                if (existing is { IsDeleted: true })
                {
                    throw VaultErrors.DeletedButRecoverable(write.Type, existing.Name);
                }

                var managedBy = access == ObjectAccess.Certificate && write.Type is ObjectType.Key or ObjectType.Secret ? ManagedByCertificate : null;
                var obj = existing is null
                    ? new ObjectRecord(StorageKeys.Object(write.Type, ObjectRules.Normalize(write.Name)), write.Type, write.Name, version, now, ManagedBy: managedBy)
                    : existing with { CurrentVersion = version, LatestSequence = existing.LatestSequence + 1 };
                var changesObject = existing is null || (write.ObjectPolicy is not null && write.ObjectPolicy != existing.Policy);
                if (changesObject)
                {
                    obj = _core.Authenticator.Seal(write.ObjectPolicy is null ? obj : obj with { Policy = write.ObjectPolicy });
                }

                var stored = Seal(obj, version, write.Attributes with { Created = now, Updated = now, Sequence = obj.LatestSequence }, write.Payload.Span);

                // A new version of an existing object is one document: the object's current version is derived from
                // its versions' sequence numbers.
                if (changesObject)
                {
                    batch.Objects.Add(obj);
                }

                batch.Versions.Add(stored.Record);
                created.Add(new ObjectVersion(obj, stored));
            }

            foreach (var gone in purgeWith ?? [])
            {
                batch.DeletedObjects.Add(gone.Key);
                batch.DeletedVersionsOf.Add(gone.Key);
            }

            _core.Apply(batch);
            foreach (var item in created)
            {
                _core.Cache.SetObject(item.Object);
                _core.Cache.SetVersion(item.Stored);
            }

            foreach (var gone in purgeWith ?? [])
            {
                _core.Cache.RemoveObject(gone);
            }
        }

        foreach (var item in created)
        {
            _core.Events.Raise(VaultEventType.NewVersion, item.Object.Type, item.Name, item.Version);
        }

        return created;
    }

    /// <summary>
    /// Replaces the attributes of one version (the current one when <paramref name="version"/> is null). The
    /// payload never changes; it is resealed because the attributes are bound into its associated data.
    /// </summary>
    public ObjectVersion UpdateAttributes(ObjectType type, string name, string? version, Func<RecordAttributes, RecordAttributes> update) =>
        UpdateAttributes([type], name, version, (_, current) => update(current), ObjectAccess.Direct)[0];

    /// <summary>
    /// Replaces the attributes of the same version of several objects of one name (a certificate and its managed key
    /// and secret) in one transaction. The first type is the one that must exist; the others are updated when present.
    /// </summary>
    public IReadOnlyList<ObjectVersion> UpdateAttributes(IReadOnlyList<ObjectType> types, string name, string? version, Func<ObjectType, RecordAttributes, RecordAttributes> update, ObjectAccess access)
    {
        var normalizedVersion = version is null ? null : ObjectRules.NormalizeVersion(types[0], version);
        var updated = new List<ObjectVersion>();
        lock (_core.Sync)
        {
            var primary = LoadObjectLocked(types[0], name);
            if (primary is null || primary.IsDeleted)
            {
                throw VaultErrors.NotFound(types[0], name);
            }

            CheckAccess(primary, types[0], name, access, creating: false);
            var target = normalizedVersion ?? primary.CurrentVersion;
            var batch = new WriteBatch();
            foreach (var type in types)
            {
                var obj = type == types[0] ? primary : LoadObjectLocked(type, name);
                var current = obj is null ? null : LoadVersionLocked(StorageKeys.Version(obj.Key, target));
                if (current is null)
                {
                    if (type == types[0])
                    {
                        throw VaultErrors.VersionNotFound(type, name, target);
                    }

                    continue;
                }

                var attributes = update(type, current.Attributes) with
                {
                    Created = current.Attributes.Created,
                    Sequence = current.Attributes.Sequence,
                    Updated = _core.Now(),
                };
                var stored = Reseal(new ObjectVersion(obj!, current), attributes);
                batch.Versions.Add(stored.Record);
                updated.Add(new ObjectVersion(obj!, stored));
            }

            _core.Apply(batch);
            foreach (var item in updated)
            {
                _core.Cache.SetVersion(item.Stored);
            }
        }

        foreach (var item in updated)
        {
            _core.Events.Raise(VaultEventType.PropertiesUpdated, item.Object.Type, item.Name, item.Version);
        }

        return updated;
    }

    /// <summary>Replaces an active object's policy (a key's rotation policy, a certificate's policy).</summary>
    public ObjectRecord UpdatePolicy(ObjectType type, string name, Func<ObjectRecord, string?> update, ObjectAccess access = ObjectAccess.Direct)
    {
        lock (_core.Sync)
        {
            var obj = LoadObjectLocked(type, name);
            if (obj is null || obj.IsDeleted)
            {
                throw VaultErrors.NotFound(type, name);
            }

            CheckAccess(obj, type, name, access, creating: false);
            return ReplaceObjectsLocked([obj with { Policy = update(obj) }])[0].Object;
        }
    }

    /// <summary>
    /// Soft-deletes an object with every version, and with it the objects of the same name of
    /// <paramref name="companions"/> (a certificate's managed key and secret), in one transaction.
    /// </summary>
    public ObjectVersion Delete(ObjectType type, string name, ObjectAccess access = ObjectAccess.Direct, params ObjectType[] companions)
    {
        List<ObjectVersion> deleted;
        lock (_core.Sync)
        {
            var group = LoadGroupLocked(type, name, companions, access, deleted: false) ?? throw VaultErrors.NotFound(type, name);
            var now = _core.Now();
            var purgeOn = now + (_core.Header.SoftDeleteRetentionDays * SecondsPerDay);
            deleted = ReplaceObjectsLocked(group.Select(o => o with { DeletedOn = now, ScheduledPurgeDate = purgeOn }).ToList());
        }

        RaiseAll(VaultEventType.Deleted, deleted.Select(v => v.Object));
        return deleted[0];
    }

    /// <summary>Recovers a soft-deleted object (and its companions) with all their versions.</summary>
    public ObjectVersion Recover(ObjectType type, string name, ObjectAccess access = ObjectAccess.Direct, params ObjectType[] companions)
    {
        List<ObjectVersion> recovered;
        lock (_core.Sync)
        {
            var group = LoadGroupLocked(type, name, companions, access, deleted: true) ?? throw VaultErrors.DeletedNotFound(type, name);
            recovered = ReplaceObjectsLocked(group.Select(o => o with { DeletedOn = null, ScheduledPurgeDate = null }).ToList());
        }

        RaiseAll(VaultEventType.Recovered, recovered.Select(v => v.Object));
        return recovered[0];
    }

    /// <summary>
    /// Purges a soft-deleted object (and its companions) for good: records removed and their bytes shredded from the
    /// files. Refused while purge protection is on and the scheduled purge date has not come.
    /// </summary>
    public void Purge(ObjectType type, string name, ObjectAccess access = ObjectAccess.Direct, params ObjectType[] companions)
    {
        List<ObjectRecord> group;
        lock (_core.Sync)
        {
            group = LoadGroupLocked(type, name, companions, access, deleted: true) ?? throw VaultErrors.DeletedNotFound(type, name);
            var obj = group[0];

            // A deleted object without a purge date is damaged: under purge protection that means "not yet", never "now".
            if (_core.Header.PurgeProtection && (obj.ScheduledPurgeDate is not { } scheduled || _core.Now() < scheduled))
            {
                throw VaultErrors.PurgeProtected(type, obj.Name, RecordAttributes.FromUnix(obj.ScheduledPurgeDate) ?? DateTimeOffset.MaxValue);
            }

            PurgeLocked(group);
        }

        RaiseAll(VaultEventType.Purged, group);
    }

    /// <summary>Purges an active object that is not subject to soft delete (a certificate operation).</summary>
    public void Remove(ObjectType type, string name)
    {
        lock (_core.Sync)
        {
            var obj = LoadObjectLocked(type, name) ?? throw VaultErrors.NotFound(type, name);
            PurgeLocked([obj]);
        }
    }

    /// <summary>Purges every deleted object, of every type, whose scheduled purge date has come.</summary>
    /// <returns>The purged objects (type and name).</returns>
    public IReadOnlyList<(ObjectType Type, string Name)> PurgeDue()
    {
        List<ObjectRecord> due;
        lock (_core.Sync)
        {
            var now = _core.Now();
            due = Enum.GetValues<ObjectType>()
                .SelectMany(FindObjectsLocked)
                .Where(o => o.ScheduledPurgeDate is { } date && date <= now)
                .ToList();
            if (due.Count > 0)
            {
                PurgeLocked(due);
            }
        }

        RaiseAll(VaultEventType.Purged, due);
        return due.Select(o => (o.Type, o.Name)).ToList();
    }

    /// <summary>Authenticates and decrypts a version's payload into <paramref name="destination"/>.</summary>
    /// <exception cref="VaultIntegrityException">The record was altered, moved or swapped on disk.</exception>
    public void Unseal(ObjectVersion version, Span<byte> destination)
    {
        var identity = new RecordIdentity(version.Object.Type, version.Object.NormalizedName, version.Version);
        try
        {
            _core.Sealer.Unseal(identity, version.Stored.Record.Attributes, version.Stored.Record.Sealed, destination);
        }
        catch (CryptographicException ex)
        {
            _core.ThrowIfDisposed();
            throw VaultErrors.Integrity(version.Object.Type, version.Object.Name, version.Version, ex);
        }
    }

    /// <summary>The payload length of a version (what <see cref="Unseal"/> writes).</summary>
    public static int PayloadLength(ObjectVersion version) => Math.Max(RecordSealer.PlaintextLength(version.Stored.Record.Sealed), 0);

    private void RaiseAll(VaultEventType eventType, IEnumerable<ObjectRecord> objects)
    {
        foreach (var obj in objects)
        {
            _core.Events.Raise(eventType, obj.Type, obj.Name, null);
        }
    }

    private IReadOnlyList<ObjectVersion> List(ObjectType type, bool deleted)
    {
        lock (_core.Sync)
        {
            // One pass over the store; what it read is cached, so the gets that usually follow a listing (a
            // configuration load) are served from memory.
            _core.ThrowIfDisposed();
            var result = new List<ObjectVersion>();
            foreach (var (obj, current) in _core.Store.FindCurrent(StorageKeys.TypePrefix(type)))
            {
                _core.Authenticator.Verify(obj);
                if (obj.IsDeleted != deleted)
                {
                    continue;
                }

                _core.Cache.SetObject(obj);

                if (!_core.Cache.TryGetVersion(current.Key, out var stored))
                {
                    stored = Parse(current);
                    _core.Cache.SetVersion(stored);
                }

                result.Add(new ObjectVersion(obj, stored));
            }

            return result;
        }
    }

    /// <summary>Every object of a type, each authenticated (a record edited on disk stops the listing).</summary>
    private IReadOnlyList<ObjectRecord> FindObjectsLocked(ObjectType type)
    {
        var objects = _core.Store.FindObjects(StorageKeys.TypePrefix(type));
        foreach (var obj in objects)
        {
            _core.Authenticator.Verify(obj);
        }

        return objects;
    }

    private List<ObjectVersion> ReplaceObjectsLocked(IReadOnlyList<ObjectRecord> changed)
    {
        var batch = new WriteBatch();
        var result = new List<ObjectVersion>();
        foreach (var record in changed)
        {
            var obj = _core.Authenticator.Seal(record);
            var stored = LoadVersionLocked(StorageKeys.Version(obj.Key, obj.CurrentVersion))
                ?? throw VaultErrors.NotFound(obj.Type, obj.Name);
            batch.Objects.Add(obj);
            result.Add(new ObjectVersion(obj, stored));
        }

        _core.Apply(batch);
        foreach (var item in result)
        {
            _core.Cache.SetObject(item.Object);
        }

        return result;
    }

    /// <summary>The object and its present companions, all in the asked deletion state; null when the object is not.</summary>
    private List<ObjectRecord>? LoadGroupLocked(ObjectType type, string name, ObjectType[] companions, ObjectAccess access, bool deleted)
    {
        var obj = LoadObjectLocked(type, name);
        if (obj is null || obj.IsDeleted != deleted)
        {
            return null;
        }

        CheckAccess(obj, type, name, access, creating: false);
        var group = new List<ObjectRecord> { obj };
        foreach (var companion in companions)
        {
            if (LoadObjectLocked(companion, name) is { } other && other.IsDeleted == deleted && other.ManagedBy is not null)
            {
                group.Add(other);
            }
        }

        return group;
    }

    /// <summary>
    /// Objects a certificate manages (its key and secret) change only through the certificate store; names of plain keys
    /// and secrets cannot be taken over by a certificate.
    /// </summary>
    private static void CheckAccess(ObjectRecord? existing, ObjectType type, string name, ObjectAccess access, bool creating)
    {
        if (existing is null)
        {
            return;
        }

        if (access == ObjectAccess.Direct && existing.ManagedBy is not null)
        {
            throw VaultErrors.ManagedByCertificate(type, existing.Name);
        }

        if (access == ObjectAccess.Certificate && creating && type is ObjectType.Key or ObjectType.Secret && existing.ManagedBy is null)
        {
            throw VaultErrors.NameTakenByPlainObject(type, name);
        }
    }

    private StoredVersion Reseal(ObjectVersion version, RecordAttributes attributes)
    {
        var length = RecordSealer.PlaintextLength(version.Stored.Record.Sealed);
        var plaintext = GC.AllocateUninitializedArray<byte>(Math.Max(length, 0), pinned: true);
        try
        {
            Unseal(version, plaintext);
            return Seal(version.Object, version.Version, attributes, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private void PurgeLocked(IReadOnlyList<ObjectRecord> objects)
    {
        // Keys whose material lives in a token: their token objects go too, once the records are gone. (In that order:
        // a failure in between leaves an unused token object, never a record whose key was destroyed.)
        var tokenKeys = objects.Where(o => o.Type is ObjectType.Key or ObjectType.CertificateOperation)
            .SelectMany(o => _core.Store.FindVersions(o.Key))
            .Select(v => Parse(v).Attributes.Key)
            .Where(k => k?.HsmReference is not null)
            .ToList();

        var batch = new WriteBatch { Shred = true };
        foreach (var obj in objects)
        {
            batch.DeletedObjects.Add(obj.Key);
            batch.DeletedVersionsOf.Add(obj.Key);
        }

        _core.Apply(batch);
        foreach (var obj in objects)
        {
            _core.Cache.RemoveObject(obj);
        }

        if (tokenKeys.Count > 0 && _core.Root is Keys.IHardwareKeys hardware)
        {
            foreach (var key in tokenKeys)
            {
                hardware.Destroy(key!);
            }
        }
    }

    private StoredVersion Seal(ObjectRecord obj, string version, RecordAttributes attributes, ReadOnlySpan<byte> payload)
    {
        var attributeBytes = JsonSerializer.SerializeToUtf8Bytes(attributes, RecordJsonContext.Default.RecordAttributes);
        var identity = new RecordIdentity(obj.Type, obj.NormalizedName, version);
        var sealedPayload = _core.Sealer.Seal(identity, attributeBytes, payload);
        return new StoredVersion(new VersionRecord(StorageKeys.Version(obj.Key, version), attributes.Sequence, attributeBytes, sealedPayload), attributes);
    }

    /// <summary>An object's record in any state (active or deleted), or null.</summary>
    public ObjectRecord? FindObject(ObjectType type, string name)
    {
        if (_core.Cache.TryGetObject(type, name, out var cached))
        {
            return cached;
        }

        lock (_core.Sync)
        {
            return LoadObjectLocked(type, name);
        }
    }

    private StoredVersion? FindVersion(string key)
    {
        if (_core.Cache.TryGetVersion(key, out var cached))
        {
            return cached;
        }

        lock (_core.Sync)
        {
            return LoadVersionLocked(key);
        }
    }

    private ObjectRecord? LoadObjectLocked(ObjectType type, string name)
    {
        _core.ThrowIfDisposed();
        if (_core.Cache.TryGetObject(type, name, out var cached))
        {
            return cached;
        }

        var obj = _core.Store.FindObject(StorageKeys.Object(type, ObjectRules.Normalize(name)));
        if (obj is not null)
        {
            _core.Authenticator.Verify(obj);
            _core.Cache.SetObject(obj);
        }

        return obj;
    }

    private StoredVersion? LoadVersionLocked(string key)
    {
        _core.ThrowIfDisposed();
        if (_core.Cache.TryGetVersion(key, out var cached))
        {
            return cached;
        }

        var record = _core.Store.FindVersion(key);
        if (record is null)
        {
            return null;
        }

        var stored = Parse(record);
        _core.Cache.SetVersion(stored);
        return stored;
    }

    private static StoredVersion Parse(VersionRecord record)
    {
        RecordAttributes? attributes;
        try
        {
            attributes = JsonSerializer.Deserialize(record.Attributes, RecordJsonContext.Default.RecordAttributes);
        }
        catch (JsonException ex)
        {
            throw new VaultIntegrityException($"The attributes of record '{record.Key}' are not readable: the record was altered on disk.", ex);
        }

        // The stored sequence (used to find the current version without reading attributes) must agree with the
        // authenticated one inside the attributes.
        if (attributes is null || attributes.Sequence != record.Sequence)
        {
            throw new VaultIntegrityException($"The attributes of record '{record.Key}' are missing or disagree with the record: the record was altered on disk.");
        }

        return new StoredVersion(record, attributes);
    }
}
