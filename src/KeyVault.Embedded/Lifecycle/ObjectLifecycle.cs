using System.Security.Cryptography;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Integrity;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// The object lifecycle shared by secrets, keys and certificates, parameterised by <see cref="ObjectType"/>:
/// names, immutable versions, the current version, attribute updates, soft delete, recover, purge (with purge
/// protection) and purge at the end of retention. The stores on top only convert their payloads and models.
/// </summary>
/// <remarks>
/// Reads go through the verified reader and take no lock. Changes take a <see cref="VaultTransaction"/>, so that an
/// operation that changes several objects (a certificate with its managed key and secret) is one commit; the
/// overloads without one run their own.
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
    public async ValueTask<ObjectVersion> GetCurrentAsync(ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        var index = Index(type, name) ?? throw VaultErrors.NotFound(type, name);
        var found = await _core.Reader.ObjectVersionAsync(index, null, cancellationToken).ConfigureAwait(false);
        return found.Object.IsDeleted ? throw VaultErrors.NotFound(type, name) : found;
    }

    /// <summary>A given version of an active object.</summary>
    public async ValueTask<ObjectVersion> GetVersionAsync(ObjectType type, string name, string version, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        var normalizedVersion = ObjectRules.NormalizeVersion(type, version);
        var index = Index(type, name) ?? throw VaultErrors.NotFound(type, name);
        if (!index.TryGetVersion(normalizedVersion, out var entry))
        {
            var obj = await _core.Reader.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
            throw obj.IsDeleted ? VaultErrors.NotFound(type, name) : VaultErrors.VersionNotFound(type, name, version);
        }

        var found = await _core.Reader.ObjectVersionAsync(index, entry, cancellationToken).ConfigureAwait(false);
        return found.Object.IsDeleted ? throw VaultErrors.NotFound(type, name) : found;
    }

    /// <summary>The current version of every active object of a type, in name order.</summary>
    public ValueTask<IReadOnlyList<ObjectVersion>> ListCurrentAsync(ObjectType type, CancellationToken cancellationToken = default) => ListAsync(type, deleted: false, cancellationToken);

    /// <summary>The current version of every deleted object of a type, in name order.</summary>
    public ValueTask<IReadOnlyList<ObjectVersion>> ListDeletedAsync(ObjectType type, CancellationToken cancellationToken = default) => ListAsync(type, deleted: true, cancellationToken);

    /// <summary>
    /// Every version of an active object, oldest first; none for a name with no active object (Azure answers the
    /// versions of a name that does not exist with an empty list, not a 404).
    /// </summary>
    public async ValueTask<IReadOnlyList<ObjectVersion>> ListVersionsAsync(ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        if (Index(type, name) is not { } index)
        {
            return [];
        }

        var obj = await _core.Reader.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
        if (obj.IsDeleted)
        {
            return [];
        }

        return (await _core.Reader.VersionsAsync(index, cancellationToken).ConfigureAwait(false)).Select(v => new ObjectVersion(obj, v)).ToList();
    }

    /// <summary>A deleted object (its current version and deletion state).</summary>
    public async ValueTask<ObjectVersion> GetDeletedAsync(ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        var index = Index(type, name) ?? throw VaultErrors.DeletedNotFound(type, name);
        var found = await _core.Reader.ObjectVersionAsync(index, null, cancellationToken).ConfigureAwait(false);
        return found.Object.IsDeleted ? found : throw VaultErrors.DeletedNotFound(type, name);
    }

    /// <summary>An object's record in any state (active or deleted), or null.</summary>
    public async ValueTask<ObjectRecord?> FindObjectAsync(ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        _core.ThrowIfDisposed();
        return Index(type, name) is { } index ? await _core.Reader.ObjectAsync(index, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// Creates a new version that becomes current, sealing <paramref name="payload"/>. Creates the object when the
    /// name is new. A soft-deleted name cannot be reused until it is recovered or purged.
    /// </summary>
    public ValueTask<ObjectVersion> CreateVersionAsync(ObjectType type, string name, RecordAttributes attributes, ReadOnlyMemory<byte> payload, string? version = null, CancellationToken cancellationToken = default) =>
        _core.Writer.WriteAsync(async tx => (await CreateVersionsAsync(tx, [new VersionWrite(type, name, attributes, payload)], version, ObjectAccess.Direct, cancellationToken: cancellationToken).ConfigureAwait(false))[0], cancellationToken);

    /// <summary>
    /// Creates a new version only while <paramref name="expectedCurrent"/> is still the current one (checked under the
    /// write lock, on the vault as every instance left it): null, and nothing written, when another caller or instance
    /// moved it on first (a due rotation done elsewhere).
    /// </summary>
    public ValueTask<ObjectVersion?> CreateVersionIfCurrentAsync(ObjectType type, string name, string expectedCurrent, RecordAttributes attributes, ReadOnlyMemory<byte> payload, string version, CancellationToken cancellationToken = default) =>
        _core.Writer.WriteAsync(async tx =>
        {
            if (tx.Index(type, name) is not { } index || !string.Equals(index.Current.Version, expectedCurrent, StringComparison.Ordinal))
            {
                return (ObjectVersion?)null;
            }

            return (await CreateVersionsAsync(tx, [new VersionWrite(type, name, attributes, payload)], version, ObjectAccess.Direct, cancellationToken: cancellationToken).ConfigureAwait(false))[0];
        }, cancellationToken);

    /// <summary>
    /// Creates one new version, with the same version id, of each object written (a certificate with its managed key
    /// and secret), and removes <paramref name="purgeWith"/> (a completed certificate operation), in the transaction.
    /// </summary>
    public async ValueTask<IReadOnlyList<ObjectVersion>> CreateVersionsAsync(VaultTransaction tx, IReadOnlyList<VersionWrite> writes, string? version, ObjectAccess access, IReadOnlyList<ObjectIndex>? purgeWith = null, CancellationToken cancellationToken = default)
    {
        var created = new List<ObjectVersion>(writes.Count);
        var now = tx.Now;
        version ??= ObjectRules.NewVersion();
        foreach (var gone in purgeWith ?? [])
        {
            tx.Remove(gone);
            tx.Erase = true;
        }

        foreach (var write in writes)
        {
            var index = tx.Index(write.Type, write.Name);
            var existing = index is null ? null : await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
            CheckAccess(existing, write.Type, write.Name, access, creating: true);
            if (existing is { IsDeleted: true })
            {
                throw VaultErrors.DeletedButRecoverable(write.Type, existing.Name);
            }

            // A certificate waiting for its signed certificate (active or soft-deleted) holds its name for the key and
            // secret its merge makes: a plain key or secret cannot take it.
            if (existing is null && access == ObjectAccess.Direct && write.Type is ObjectType.Key or ObjectType.Secret
                && tx.Index(ObjectType.CertificateOperation, write.Name) is { } pending)
            {
                var operation = await tx.ObjectAsync(pending, cancellationToken).ConfigureAwait(false);
                throw operation.IsDeleted ? VaultErrors.DeletedButRecoverable(ObjectType.Certificate, operation.Name) : VaultErrors.NameTakenByCertificateRequest(write.Type, write.Name);
            }

            var managedBy = access == ObjectAccess.Certificate && write.Type is ObjectType.Key or ObjectType.Secret ? ManagedByCertificate : null;
            var obj = existing ?? new ObjectRecord(write.Type, write.Name, now, ManagedBy: managedBy);
            if (write.ObjectPolicy is not null && write.ObjectPolicy != obj.Policy)
            {
                obj = obj with { Policy = write.ObjectPolicy };
            }

            if (!ReferenceEquals(obj, existing))
            {
                // A new version of an existing object writes only the version: which one is current comes from the
                // sequence numbers in the manifest.
                tx.Put(obj);
            }

            var sequence = (index is { VersionCount: > 0 } ? index.Current.Sequence : 0) + 1;
            if (index is not null && index.TryGetVersion(version, out _))
            {
                throw new VaultException(VaultErrorCode.Conflict, 409, $"{write.Type.DisplayName()} '{obj.Name}' already has a version '{version}'.");
            }

            var stored = Seal(obj, version, write.Attributes with { Created = now, Updated = now, Sequence = sequence }, write.Payload.Span);
            tx.Put(obj, stored);
            created.Add(new ObjectVersion(obj, stored));
        }

        tx.AfterCommit(() =>
        {
            foreach (var item in created)
            {
                _core.Events.Raise(VaultEventType.NewVersion, item.Object.Type, item.Name, item.Version);
            }
        });
        return created;
    }

    /// <summary>
    /// Replaces the attributes of one version (the current one when <paramref name="version"/> is null). The
    /// payload never changes; it is resealed because the attributes are bound into its associated data.
    /// </summary>
    public ValueTask<ObjectVersion> UpdateAttributesAsync(ObjectType type, string name, string? version, Func<RecordAttributes, RecordAttributes> update, Integrity.RecordHash? expectedRevision = null, CancellationToken cancellationToken = default) =>
        _core.Writer.WriteAsync(async tx => (await UpdateAttributesAsync(tx, [type], name, version, (_, current) => update(current), ObjectAccess.Direct, expectedRevision, cancellationToken).ConfigureAwait(false))[0], cancellationToken);

    /// <summary>
    /// Replaces the attributes of the same version of several objects of one name (a certificate and its managed key
    /// and secret). The first type is the one that must exist; the others are updated when present.
    /// </summary>
    /// <remarks>
    /// With <paramref name="expectedRevision"/> (the state the caller's properties were read from), a version of the
    /// first type that has changed since is refused with <c>Conflict</c> and nothing is written.
    /// </remarks>
    public async ValueTask<IReadOnlyList<ObjectVersion>> UpdateAttributesAsync(VaultTransaction tx, IReadOnlyList<ObjectType> types, string name, string? version, Func<ObjectType, RecordAttributes, RecordAttributes> update, ObjectAccess access, Integrity.RecordHash? expectedRevision = null, CancellationToken cancellationToken = default)
    {
        var normalizedVersion = version is null ? null : ObjectRules.NormalizeVersion(types[0], version);
        var (primaryIndex, primary) = await ActiveAsync(tx, types[0], name, cancellationToken).ConfigureAwait(false);
        CheckAccess(primary, types[0], name, access, creating: false);
        var target = normalizedVersion ?? primaryIndex.Current.Version;
        var updated = new List<ObjectVersion>();
        foreach (var type in types)
        {
            var index = type == types[0] ? primaryIndex : tx.Index(type, name);
            if (index is null || !index.TryGetVersion(target, out var entry))
            {
                if (type == types[0])
                {
                    throw VaultErrors.VersionNotFound(type, name, target);
                }

                continue;
            }

            var current = await tx.ObjectVersionAsync(index, entry, cancellationToken).ConfigureAwait(false);
            if (type == types[0] && expectedRevision is { } expected && current.Stored.Revision != expected)
            {
                throw VaultErrors.ChangedSinceRead(type, name, target);
            }

            var attributes = update(type, current.Attributes) with
            {
                Created = current.Attributes.Created,
                Sequence = current.Attributes.Sequence,
                Updated = tx.Now,
            };
            var stored = Reseal(current, attributes);
            tx.Put(current.Object, stored);
            updated.Add(new ObjectVersion(current.Object, stored));
        }

        tx.AfterCommit(() =>
        {
            foreach (var item in updated)
            {
                _core.Events.Raise(VaultEventType.PropertiesUpdated, item.Object.Type, item.Name, item.Version);
            }
        });
        return updated;
    }

    /// <summary>Replaces an active object's policy (a key's rotation policy, a certificate's policy).</summary>
    public async ValueTask<ObjectRecord> UpdatePolicyAsync(VaultTransaction tx, ObjectType type, string name, Func<ObjectRecord, string?> update, ObjectAccess access = ObjectAccess.Direct, CancellationToken cancellationToken = default)
    {
        var (_, obj) = await ActiveAsync(tx, type, name, cancellationToken).ConfigureAwait(false);
        CheckAccess(obj, type, name, access, creating: false);
        var changed = obj with { Policy = update(obj) };
        tx.Put(changed);
        return changed;
    }

    /// <summary>
    /// Soft-deletes an object with every version, and with it the objects of the same name of
    /// <paramref name="companions"/> (a certificate's managed key and secret).
    /// </summary>
    public async ValueTask<ObjectVersion> DeleteAsync(VaultTransaction tx, ObjectType type, string name, ObjectAccess access, ObjectType[] companions, CancellationToken cancellationToken = default)
    {
        var group = await GroupAsync(tx, type, name, companions, access, deleted: false, cancellationToken).ConfigureAwait(false) ?? throw VaultErrors.NotFound(type, name);
        var now = tx.Now;
        var purgeOn = now + (tx.Header.SoftDeleteRetentionDays * SecondsPerDay);
        return await ReplaceAsync(tx, group, o => o with { DeletedOn = now, ScheduledPurgeDate = purgeOn }, VaultEventType.Deleted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recovers a soft-deleted object (and its companions) with all their versions.</summary>
    public async ValueTask<ObjectVersion> RecoverAsync(VaultTransaction tx, ObjectType type, string name, ObjectAccess access, ObjectType[] companions, CancellationToken cancellationToken = default)
    {
        var group = await GroupAsync(tx, type, name, companions, access, deleted: true, cancellationToken).ConfigureAwait(false) ?? throw VaultErrors.DeletedNotFound(type, name);
        return await ReplaceAsync(tx, group, o => o with { DeletedOn = null, ScheduledPurgeDate = null }, VaultEventType.Recovered, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Purges a soft-deleted object (and its companions) for good: records removed and their bytes erased from the
    /// files. Refused while purge protection is on and the scheduled purge date has not come.
    /// </summary>
    public async ValueTask PurgeAsync(VaultTransaction tx, ObjectType type, string name, ObjectAccess access, ObjectType[] companions, CancellationToken cancellationToken = default)
    {
        var group = await GroupAsync(tx, type, name, companions, access, deleted: true, cancellationToken).ConfigureAwait(false) ?? throw VaultErrors.DeletedNotFound(type, name);
        var obj = group[0].Record;

        // A deleted object without a purge date is damaged: under purge protection that means "not yet", never "now".
        if (tx.Header.PurgeProtection && (obj.ScheduledPurgeDate is not { } scheduled || tx.Now < scheduled))
        {
            throw VaultErrors.PurgeProtected(type, obj.Name, RecordAttributes.FromUnix(obj.ScheduledPurgeDate) ?? DateTimeOffset.MaxValue);
        }

        await PurgeObjectsAsync(tx, group, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Purges an active object that is not subject to soft delete (a certificate operation).</summary>
    public async ValueTask RemoveAsync(VaultTransaction tx, ObjectType type, string name, CancellationToken cancellationToken = default)
    {
        var index = tx.Index(type, name) ?? throw VaultErrors.NotFound(type, name);
        await PurgeObjectsAsync(tx, [(index, await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Purges every deleted object, of every type, whose scheduled purge date has come.</summary>
    /// <returns>The purged objects (type and name).</returns>
    public async ValueTask<IReadOnlyList<(ObjectType Type, string Name)>> PurgeDueAsync(VaultTransaction tx, CancellationToken cancellationToken = default)
    {
        var now = tx.Now;
        var due = new List<(ObjectIndex, ObjectRecord)>();
        foreach (var type in Enum.GetValues<ObjectType>())
        {
            var indexes = _core.Manifest.Objects(type).ToList();
            foreach (var found in await _core.Reader.CurrentAsync(indexes, cancellationToken).ConfigureAwait(false))
            {
                // Judged again as the transaction sees it: a change committing in the same group (a recover, a purge)
                // comes before this one.
                if (found.Object.ScheduledPurgeDate is { } date && date <= now && tx.Index(type, found.Object.Name) is { } index
                    && await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false) is { ScheduledPurgeDate: { } still } obj && still <= now)
                {
                    due.Add((index, obj));
                }
            }
        }

        if (due.Count > 0)
        {
            await PurgeObjectsAsync(tx, due, cancellationToken).ConfigureAwait(false);
        }

        return due.Select(o => (o.Item2.Type, o.Item2.Name)).ToList();
    }

    /// <summary>Authenticates and decrypts a version's payload into <paramref name="destination"/>.</summary>
    /// <exception cref="VaultIntegrityException">The record was altered, moved or swapped on disk.</exception>
    public void Unseal(ObjectVersion version, Span<byte> destination)
    {
        var identity = new RecordIdentity(version.Object.Type, version.Object.NormalizedName, version.Version);
        var retirements = _core.Ring.Retirements;
        try
        {
            _core.Sealer.Unseal(identity, version.Stored.AttributeBytes, version.Stored.Sealed, destination);
        }
        catch (CryptographicException ex)
        {
            _core.ThrowIfDisposed();
            var sealedUnder = version.Stored.Sealed.Length >= RecordSealer.HeaderSize ? RecordSealer.KekVersion(version.Stored.Sealed) : 0;
            if ((_core.Ring.Retirements != retirements || _core.Ring.Get(sealedUnder).IsEmpty) && Fresh(version) is { } fresh && !ReferenceEquals(fresh, version.Stored))
            {
                // The version was re-sealed under a newer key-encryption key, and the old key retired, while this read
                // held the old copy: read it as it is now.
                try
                {
                    _core.Sealer.Unseal(identity, fresh.AttributeBytes, fresh.Sealed, destination);
                    return;
                }
                catch (CryptographicException again)
                {
                    throw VaultErrors.Integrity(version.Object.Type, version.Object.Name, version.Version, again);
                }
            }

            throw VaultErrors.Integrity(version.Object.Type, version.Object.Name, version.Version, ex);
        }
    }

    private StoredVersion? Fresh(ObjectVersion version) =>
        _core.Manifest.TryGetObject(version.Object.Type, version.Object.Name, out var index) && index.TryGetVersion(version.Version, out var entry)
            ? Sync.Wait(_core.Reader.VersionAsync(entry))
            : null;

    /// <summary>The payload length of a version (what <see cref="Unseal"/> writes).</summary>
    public static int PayloadLength(ObjectVersion version) => Math.Max(RecordSealer.PlaintextLength(version.Stored.Sealed), 0);

    /// <summary>A version's envelope made again under the current key-encryption key (same attributes, same payload).</summary>
    public StoredVersion Reseal(ObjectVersion version) => Reseal(version, version.Attributes);

    private ObjectIndex? Index(ObjectType type, string name) => _core.Manifest.TryGetObject(type, name, out var index) ? index : null;

    private async ValueTask<IReadOnlyList<ObjectVersion>> ListAsync(ObjectType type, bool deleted, CancellationToken cancellationToken)
    {
        _core.ThrowIfDisposed();
        var indexes = _core.Manifest.Objects(type).OrderBy(i => i.Key, StringComparer.Ordinal).ToList();
        var all = await _core.Reader.CurrentAsync(indexes, cancellationToken).ConfigureAwait(false);
        return all.Where(v => v.Object.IsDeleted == deleted).ToList();
    }

    private static async ValueTask<(ObjectIndex Index, ObjectRecord Record)> ActiveAsync(VaultTransaction tx, ObjectType type, string name, CancellationToken cancellationToken)
    {
        var index = tx.Index(type, name) ?? throw VaultErrors.NotFound(type, name);
        var obj = await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
        return obj.IsDeleted ? throw VaultErrors.NotFound(type, name) : (index, obj);
    }

    private async ValueTask<ObjectVersion> ReplaceAsync(VaultTransaction tx, List<(ObjectIndex Index, ObjectRecord Record)> group, Func<ObjectRecord, ObjectRecord> change, VaultEventType eventType, CancellationToken cancellationToken)
    {
        var result = new List<ObjectVersion>();
        foreach (var (index, record) in group)
        {
            var changed = change(record);
            tx.Put(changed);
            result.Add(new ObjectVersion(changed, await tx.VersionAsync(index.Current, cancellationToken).ConfigureAwait(false)));
        }

        tx.AfterCommit(() => RaiseAll(eventType, result.Select(v => v.Object)));
        return result[0];
    }

    /// <summary>The object and its present companions, all in the asked deletion state; null when the object is not.</summary>
    private static async ValueTask<List<(ObjectIndex Index, ObjectRecord Record)>?> GroupAsync(VaultTransaction tx, ObjectType type, string name, ObjectType[] companions, ObjectAccess access, bool deleted, CancellationToken cancellationToken)
    {
        var index = tx.Index(type, name);
        var obj = index is null ? null : await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
        if (obj is null || obj.IsDeleted != deleted)
        {
            return null;
        }

        CheckAccess(obj, type, name, access, creating: false);
        var group = new List<(ObjectIndex, ObjectRecord)> { (index!, obj) };
        foreach (var companion in companions)
        {
            if (tx.Index(companion, name) is { } otherIndex && await tx.ObjectAsync(otherIndex, cancellationToken).ConfigureAwait(false) is { } other
                && other.IsDeleted == deleted && other.ManagedBy is not null)
            {
                group.Add((otherIndex, other));
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
        var length = RecordSealer.PlaintextLength(version.Stored.Sealed);
        var plaintext = GC.AllocateUninitializedArray<byte>(Math.Max(length, 0), pinned: true);
        try
        {
            Unseal(version, plaintext);
            var identity = new RecordIdentity(version.Object.Type, version.Object.NormalizedName, version.Version);
            return version.Stored.WithAttributes(attributes, attributeBytes => _core.Sealer.Seal(identity, attributeBytes, plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private async ValueTask PurgeObjectsAsync(VaultTransaction tx, IReadOnlyList<(ObjectIndex Index, ObjectRecord Record)> objects, CancellationToken cancellationToken)
    {
        // Keys whose material lives in a token: their token objects go too, once the records are gone (in that order:
        // a failure in between leaves an unused token object, never a record whose key was destroyed). Each reference
        // comes from an authenticated version record, and the token checks the object's label before destroying it.
        var tokenKeys = new List<(Keys.KeyAttributes Attributes, string Label)>();
        foreach (var (index, record) in objects)
        {
            if (record.Type is ObjectType.Key or ObjectType.CertificateOperation)
            {
                foreach (var version in await tx.VersionsAsync(index, cancellationToken).ConfigureAwait(false))
                {
                    if (version.Attributes.Key is { HsmReference: not null } key)
                    {
                        tokenKeys.Add((key, Keys.KeyMaker.Label(tx.Header.VaultId, record.Name, version.Version)));
                    }
                }
            }

            tx.Remove(index);
        }

        tx.Erase = true;
        tx.AfterCommit(() =>
        {
            if (tokenKeys.Count > 0 && _core.Root is Keys.IHardwareKeys hardware)
            {
                foreach (var (key, label) in tokenKeys)
                {
                    Keys.KeyMaker.Destroy(_core, hardware, key, label);
                }
            }

            RaiseAll(VaultEventType.Purged, objects.Select(o => o.Record));
        });
    }

    private void RaiseAll(VaultEventType eventType, IEnumerable<ObjectRecord> objects)
    {
        foreach (var obj in objects)
        {
            _core.Events.Raise(eventType, obj.Type, obj.Name, null);
        }
    }

    private StoredVersion Seal(ObjectRecord obj, string version, RecordAttributes attributes, ReadOnlySpan<byte> payload)
    {
        var identity = new RecordIdentity(obj.Type, obj.NormalizedName, version);
        var copy = GC.AllocateUninitializedArray<byte>(payload.Length, pinned: true);
        payload.CopyTo(copy);
        try
        {
            return StoredVersion.Create(obj.Key, version, attributes, attributeBytes => _core.Sealer.Seal(identity, attributeBytes, copy));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }
}
