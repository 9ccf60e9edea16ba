using System.Security.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// Azure's per-object backups: <c>BackupSecret</c>/<c>RestoreSecret</c> and the key and certificate ones. A blob holds
/// every version of one object (a certificate with its managed key and secret and its pending operation), with version
/// ids, attributes, tags and policies, sealed under the vault's root (<see cref="BackupKey"/>), so it restores into this
/// vault or any vault that shares its root, keeping the name and every version id; never over a name that exists.
/// </summary>
/// <remarks>
/// <code>
/// blob = "KVBB" | format (1) = 1 | kind (1: secret, key, certificate) | root check (16) | seal (BackupKey) of the bundle
/// </code>
/// The seal's associated data is the 22 bytes before it.
/// </remarks>
internal sealed class ObjectBackups
{
    private const int HeaderSize = 4 + 1 + 1 + BackupKey.RootCheckSize;
    private const byte Format = 1;
    private static readonly ObjectType[] CertificateParts = [ObjectType.Key, ObjectType.Secret, ObjectType.CertificateOperation];
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;

    public ObjectBackups(VaultCore core, ObjectLifecycle lifecycle)
    {
        _core = core;
        _lifecycle = lifecycle;
    }

    /// <summary>The backup blob of an active object.</summary>
    /// <exception cref="VaultObjectNotFoundException">No active object has that name.</exception>
    /// <exception cref="VaultException"><c>Forbidden</c> for a certificate's managed key or secret; <c>BadParameter</c> beyond 500 versions.</exception>
    public async ValueTask<byte[]> BackupAsync(ObjectType type, string name, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(type, name);
        using var key = await BackupKey.FromRootAsync(_core.Root, cancellationToken).ConfigureAwait(false);

        // Read under the write lock: a certificate and its parts are taken at one commit.
        var objects = await _core.Writer.WriteAsync(async tx =>
        {
            var index = tx.Index(type, name) ?? throw VaultErrors.NotFound(type, name);
            var record = await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
            if (record.IsDeleted)
            {
                throw VaultErrors.NotFound(type, name);
            }

            if (record.ManagedBy is not null)
            {
                throw VaultErrors.ManagedByCertificate(type, record.Name);
            }

            if (index.VersionCount > ObjectBundle.MaxVersions)
            {
                throw VaultErrors.BadParameter($"{type.DisplayName()} '{record.Name}' has {index.VersionCount} versions; a backup holds at most {ObjectBundle.MaxVersions} (Azure's limit).");
            }

            var list = new List<BundledObject>();
            try
            {
                list.Add(await ReadAsync(tx, index, record, key, cancellationToken).ConfigureAwait(false));
                if (type == ObjectType.Certificate)
                {
                    foreach (var part in CertificateParts)
                    {
                        if (tx.Index(part, name) is { } partIndex)
                        {
                            list.Add(await ReadAsync(tx, partIndex, await tx.ObjectAsync(partIndex, cancellationToken).ConfigureAwait(false), key, cancellationToken).ConfigureAwait(false));
                        }
                    }
                }
            }
            catch
            {
                list.ForEach(o => o.Dispose());
                throw;
            }

            return list;
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            var plaintext = ObjectBundle.Encode(objects);
            try
            {
                var header = new byte[HeaderSize];
                "KVBB"u8.CopyTo(header);
                header[4] = Format;
                header[5] = (byte)type;
                key.RootCheck().CopyTo(header, 6);
                return [.. header, .. key.Seal(header, plaintext)];
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
        finally
        {
            objects.ForEach(o => o.Dispose());
        }
    }

    /// <summary>Restores a blob of <paramref name="type"/>; returns the restored object's current version.</summary>
    /// <exception cref="VaultException">
    /// <c>BadParameter</c> for bytes that are not a backup of this kind; <c>RootKeyMismatch</c> for a backup made under
    /// another root; <c>Conflict</c> when the name exists (deleted included). Nothing is written.
    /// </exception>
    /// <exception cref="VaultIntegrityException">The blob was altered.</exception>
    public async ValueTask<ObjectVersion> RestoreAsync(ObjectType type, byte[] blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length < HeaderSize + BackupKey.Overhead || !blob.AsSpan(0, 4).SequenceEqual("KVBB"u8))
        {
            // Azure's words for bytes that are not a backup blob (its SDKs' tests compare them).
            throw VaultErrors.BadParameter("Backup blob contains invalid or corrupt version.");
        }

        if (blob[4] != Format)
        {
            throw VaultErrors.BadParameter($"The backup is of format {blob[4]}; this library reads format {Format}.");
        }

        if (blob[5] != (byte)type)
        {
            var kind = Enum.IsDefined((ObjectType)blob[5]) ? ((ObjectType)blob[5]).DisplayName().ToLowerInvariant() : "unknown kind";
            throw VaultErrors.BadParameter($"The backup holds a {kind}, not a {type.DisplayName().ToLowerInvariant()}: restore it with the matching call.");
        }

        using var key = await BackupKey.FromRootAsync(_core.Root, cancellationToken).ConfigureAwait(false);
        // The blob is the caller's input: one made under another root, or that fails its seal, is a bad request (400),
        // not a fault of this vault (500) nor a failed authentication (401). Nothing is written before these checks.
        if (!key.Matches(blob.AsSpan(6, BackupKey.RootCheckSize)))
        {
            throw OtherRoot("it was made under another root (it restores only into a vault with the same software root key or token key)");
        }

        List<BundledObject> objects;
        try
        {
            objects = Decode(key, blob.AsSpan(0, HeaderSize), blob.AsSpan(HeaderSize));
        }
        catch (VaultIntegrityException ex)
        {
            throw VaultErrors.BadParameter("The backup failed its integrity check: it was altered or damaged. Nothing was restored.", ex);
        }
        try
        {
            CheckShape(type, objects);
            CheckTokenKeys(objects, key);
            return await _core.Writer.WriteAsync(tx =>
            {
                foreach (var obj in objects)
                {
                    CheckFree(tx, obj.Record);
                }

                var version = Write(tx, objects[0]);
                foreach (var obj in objects.Skip(1))
                {
                    Write(tx, obj);
                }

                var primary = objects[0];
                tx.AfterCommit(() => _core.Events.Raise(Events.VaultEventType.NewVersion, primary.Record.Type, primary.Record.Name, version.Version));
                return ValueTask.FromResult(new ObjectVersion(primary.Record, version));
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            objects.ForEach(o => o.Dispose());
        }
    }

    /// <summary>Reads an object with every version, payloads unsealed, HSM versions tagged under <paramref name="rootKey"/> (the caller disposes it).</summary>
    internal async ValueTask<BundledObject> ReadAsync(VaultTransaction tx, Integrity.ObjectIndex index, ObjectRecord record, BackupKey rootKey, CancellationToken cancellationToken)
    {
        var versions = new List<BundledVersion>(index.VersionCount);
        var bundled = new BundledObject(record, versions);
        try
        {
            foreach (var stored in await tx.VersionsAsync(index, cancellationToken).ConfigureAwait(false))
            {
                var version = new ObjectVersion(record, stored);
                var payload = GC.AllocateUninitializedArray<byte>(ObjectLifecycle.PayloadLength(version), pinned: true);
                var tag = stored.Attributes.Key?.HsmReference is null ? [] : rootKey.TokenTag(record.Type, record.NormalizedName, stored.Version, stored.AttributeBytes);
                versions.Add(new BundledVersion(stored.Version, stored.AttributeBytes, stored.Attributes, payload, tag));
                _lifecycle.Unseal(version, payload);
            }
        }
        catch
        {
            bundled.Dispose();
            throw;
        }

        return bundled;
    }

    /// <summary>
    /// Refuses a name that exists in the vault in any state (Azure: restore never replaces). A certificate's name is its
    /// key's, its secret's and its pending operation's too, so a certificate or an operation needs all four free, and a
    /// key or secret needs no pending operation waiting to make a certificate of its name.
    /// </summary>
    internal static void CheckFree(VaultTransaction tx, ObjectRecord record)
    {
        ObjectType[] guarded = record.Type is ObjectType.Certificate or ObjectType.CertificateOperation
            ? [ObjectType.Certificate, ObjectType.Key, ObjectType.Secret, ObjectType.CertificateOperation]
            : [record.Type, ObjectType.CertificateOperation];
        foreach (var type in guarded)
        {
            if (tx.Index(type, record.Name) is not null)
            {
                throw new VaultException(VaultErrorCode.Conflict, 409,
                    $"{type.DisplayName()} '{record.Name}' exists in this vault (active or deleted): a backup restores {record.Type.DisplayName().ToLowerInvariant()} '{record.Name}' only under a name that is free. Purge the deleted one, or restore into another vault.");
            }
        }
    }

    /// <summary>
    /// Writes an object and every version as the backup holds them, each version sealed afresh under this vault's keys;
    /// returns the current (highest-sequence) version.
    /// </summary>
    internal StoredVersion Write(VaultTransaction tx, BundledObject obj)
    {
        var record = obj.Record;
        tx.Put(record);
        StoredVersion? current = null;
        foreach (var version in obj.Versions)
        {
            var identity = new RecordIdentity(record.Type, record.NormalizedName, version.Version);
            var sealedPayload = _core.Sealer.Seal(identity, version.AttributeBytes, version.Payload);
            current = StoredVersion.FromParts(record.Key, version.Version, version.AttributeBytes, version.Attributes, sealedPayload);
            tx.Put(record, current);
        }

        return current!;
    }

    /// <summary>
    /// Keys whose material lives in a token restore only where that token is the root and still holds the object: a
    /// backup carries the reference, never the key.
    /// </summary>
    /// <exception cref="VaultException">
    /// <c>BadParameter</c> when this vault's root is no token; <c>RootKeyMismatch</c> when the version's tag is not this
    /// root's (made under another token key, or a reference pointed elsewhere); the token's own error when the object is
    /// missing.
    /// </exception>
    internal void CheckTokenKeys(IEnumerable<BundledObject> objects, BackupKey rootKey)
    {
        foreach (var obj in objects)
        {
            foreach (var version in obj.Versions)
            {
                if (version.Attributes.Key is { HsmReference: { } reference } attributes)
                {
                    if (_core.Root is not Keys.IHardwareKeys hardware)
                    {
                        throw VaultErrors.BadParameter($"{obj.Record.Type.DisplayName()} '{obj.Record.Name}' is an HSM key: its material stays in the token it was made in ('{reference}'), and this vault's root is not a token. Restore it into a vault rooted in that token.");
                    }

                    var expected = rootKey.TokenTag(obj.Record.Type, obj.Record.NormalizedName, version.Version, version.AttributeBytes);
                    if (!CryptographicOperations.FixedTimeEquals(expected, version.TokenTag))
                    {
                        throw OtherRoot($"{obj.Record.Type.DisplayName().ToLowerInvariant()} '{obj.Record.Name}' is an HSM key made under another root key (or its reference was altered): it restores only into a vault rooted in the token key it was made under");
                    }

                    using var loaded = hardware.Load(attributes);
                }
            }
        }
    }

    /// <summary>A backup this vault's root cannot restore: the caller's bad input (400), named <c>RootKeyMismatch</c>.</summary>
    private static VaultException OtherRoot(string detail) =>
        new(VaultErrorCode.RootKeyMismatch, 400, $"The backup cannot be restored into this vault: {detail}. Nothing was restored.");

    /// <summary>Opens and decodes a seal (bound to <paramref name="associated"/>).</summary>
    /// <exception cref="VaultIntegrityException">The seal fails (altered), or its content breaks a rule.</exception>
    internal static List<BundledObject> Decode(BackupKey key, ReadOnlySpan<byte> associated, ReadOnlySpan<byte> sealedBytes)
    {
        byte[] plaintext;
        try
        {
            plaintext = key.Open(associated, sealedBytes);
        }
        catch (CryptographicException ex)
        {
            throw new VaultIntegrityException("The backup failed its integrity check: it was altered or damaged. Nothing was restored.", ex);
        }

        try
        {
            return ObjectBundle.Decode(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>A per-object blob holds one active, unmanaged object of its kind, and for a certificate only its own parts.</summary>
    private static void CheckShape(ObjectType type, List<BundledObject> objects)
    {
        if (objects.Count == 0 || objects[0].Record is not { } primary || primary.Type != type || primary.ManagedBy is not null || primary.IsDeleted
            || objects[0].Versions.Count > ObjectBundle.MaxVersions)
        {
            throw ObjectBundle.Invalid("it does not hold one active object of its kind first");
        }

        foreach (var part in objects.Skip(1))
        {
            var record = part.Record;
            var allowed = type == ObjectType.Certificate && CertificateParts.Contains(record.Type) && record.NormalizedName == primary.NormalizedName && !record.IsDeleted
                && (record.Type == ObjectType.CertificateOperation ? record.ManagedBy is null : record.ManagedBy == ObjectLifecycle.ManagedByCertificate);
            if (!allowed || objects.Count(o => o.Record.Type == record.Type) != 1)
            {
                throw ObjectBundle.Invalid("it holds an object that is not part of its certificate");
            }
        }
    }

}
