using System.Runtime.CompilerServices;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// The lifecycle calls every store exposes the same way (list, list versions, delete, get/list deleted, recover,
/// purge), each run through the operation pipeline under its Azure name. A store supplies only the mapping from a
/// stored version to its public model.
/// </summary>
internal sealed class ObjectStoreOperations
{
    private readonly VaultCore _core;
    private readonly ObjectType _type;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly ObjectAccess _access;
    private readonly ObjectType[] _companions;
    private readonly Backup.ObjectBackups _backups;

    /// <param name="core">The vault.</param>
    /// <param name="type">The store's object type.</param>
    /// <param name="lifecycle">The shared lifecycle.</param>
    /// <param name="operations">The operation pipeline.</param>
    /// <param name="access">Who acts: the type's own store, or the certificate store.</param>
    /// <param name="companions">Objects of the same name deleted, recovered and purged together (a certificate's key and secret).</param>
    public ObjectStoreOperations(VaultCore core, ObjectType type, ObjectLifecycle lifecycle, OperationPipeline operations, ObjectAccess access = ObjectAccess.Direct, params ObjectType[] companions)
    {
        _core = core;
        _type = type;
        _lifecycle = lifecycle;
        _operations = operations;
        _access = access;
        _companions = companions;
        _backups = new Backup.ObjectBackups(core, lifecycle);
    }

    public IAsyncEnumerable<T> ListAsync<T>(Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        Enumerate(VaultOperation.Lifecycle.List, null, map, cancellationToken);

    public IAsyncEnumerable<T> ListVersionsAsync<T>(string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        Enumerate(VaultOperation.Lifecycle.ListVersions, name, map, cancellationToken);

    public IAsyncEnumerable<T> ListDeletedAsync<T>(Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        Enumerate(VaultOperation.Lifecycle.ListDeleted, null, map, cancellationToken);

    public Task<T> DeleteAsync<T>(string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        RunAsync(VaultOperation.Lifecycle.Delete, name, map, cancellationToken);

    public Task<T> GetDeletedAsync<T>(string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        RunAsync(VaultOperation.Lifecycle.GetDeleted, name, map, cancellationToken);

    public Task<T> RecoverAsync<T>(string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        RunAsync(VaultOperation.Lifecycle.Recover, name, map, cancellationToken);

    public Task PurgeAsync(string name, CancellationToken cancellationToken) =>
        RunAsync(VaultOperation.Lifecycle.Purge, name, static _ => true, cancellationToken);

    /// <summary>Azure's per-object backup of an object of this store's type (see <see cref="Backup.ObjectBackups"/>).</summary>
    public Task<byte[]> BackupAsync(string operation, string name, CancellationToken cancellationToken) =>
        _operations.RunAsync(operation, _type, name, (this, name, cancellationToken), static s =>
            s.Item1._backups.BackupAsync(s.Item1._type, s.name, s.cancellationToken), cancellationToken).AsTask();

    /// <summary>Azure's per-object restore into this store's type; the result is the restored current version.</summary>
    public Task<T> RestoreAsync<T>(string operation, byte[] backup, Func<ObjectVersion, T> map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backup);
        return _operations.RunAsync(operation, _type, null, (this, backup, map, cancellationToken), static async s =>
            s.map(await s.Item1._backups.RestoreAsync(s.Item1._type, s.backup, s.cancellationToken).ConfigureAwait(false)), cancellationToken).AsTask();
    }

    private Task<T> RunAsync<T>(VaultOperation.Lifecycle step, string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        _operations.RunAsync(VaultOperation.For(_type, step), _type, name, (this, step, name, map, cancellationToken), static async s =>
        {
            var (self, step, name, map, cancellationToken) = s;
            ObjectRules.ValidateName(self._type, name);
            var lifecycle = self._lifecycle;
            var type = self._type;
            if (step == VaultOperation.Lifecycle.GetDeleted)
            {
                return map(await lifecycle.GetDeletedAsync(type, name, cancellationToken).ConfigureAwait(false));
            }

            return await self._core.Writer.WriteAsync(async tx =>
            {
                switch (step)
                {
                    case VaultOperation.Lifecycle.Purge:
                        await lifecycle.PurgeAsync(tx, type, name, self._access, self._companions, cancellationToken).ConfigureAwait(false);
                        return default!;
                    case VaultOperation.Lifecycle.Delete:
                        return map(await lifecycle.DeleteAsync(tx, type, name, self._access, self._companions, cancellationToken).ConfigureAwait(false));
                    default:
                        return map(await lifecycle.RecoverAsync(tx, type, name, self._access, self._companions, cancellationToken).ConfigureAwait(false));
                }
            }, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).AsTask();

    private async IAsyncEnumerable<T> Enumerate<T>(VaultOperation.Lifecycle step, string? name, Func<ObjectVersion, T> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The listing and the mapping to public models both run inside the operation; only handing out the results
        // happens after it.
        var results = await _operations.RunAsync(VaultOperation.For(_type, step), _type, name, (this, step, name, map, cancellationToken), static async s =>
        {
            var (self, listStep, objectName, map, cancellationToken) = s;
            var versions = listStep switch
            {
                VaultOperation.Lifecycle.List => await self._lifecycle.ListCurrentAsync(self._type, cancellationToken).ConfigureAwait(false),
                VaultOperation.Lifecycle.ListDeleted => await self._lifecycle.ListDeletedAsync(self._type, cancellationToken).ConfigureAwait(false),
                _ => await self.ListVersionsAsync(objectName!, cancellationToken).ConfigureAwait(false),
            };
            return versions.Select(map).ToList();
        }, cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return result;
        }
    }

    private ValueTask<IReadOnlyList<ObjectVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(_type, name);
        return _lifecycle.ListVersionsAsync(_type, name, cancellationToken);
    }
}
