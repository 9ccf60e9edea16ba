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
    private readonly ObjectType _type;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly ObjectAccess _access;
    private readonly ObjectType[] _companions;

    /// <param name="type">The store's object type.</param>
    /// <param name="lifecycle">The shared lifecycle.</param>
    /// <param name="operations">The operation pipeline.</param>
    /// <param name="access">Who acts: the type's own store, or the certificate store.</param>
    /// <param name="companions">Objects of the same name deleted, recovered and purged together (a certificate's key and secret).</param>
    public ObjectStoreOperations(ObjectType type, ObjectLifecycle lifecycle, OperationPipeline operations, ObjectAccess access = ObjectAccess.Direct, params ObjectType[] companions)
    {
        _type = type;
        _lifecycle = lifecycle;
        _operations = operations;
        _access = access;
        _companions = companions;
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

    private Task<T> RunAsync<T>(VaultOperation.Lifecycle step, string name, Func<ObjectVersion, T> map, CancellationToken cancellationToken) =>
        _operations.RunAsync(VaultOperation.For(_type, step), _type, name, (this, step, name, map), static s =>
        {
            ObjectRules.ValidateName(s.Item1._type, s.name);
            var lifecycle = s.Item1._lifecycle;
            var type = s.Item1._type;
            var self = s.Item1;
            if (s.step == VaultOperation.Lifecycle.Purge)
            {
                lifecycle.Purge(type, s.name, self._access, self._companions);
                return default!;
            }

            return s.map(s.step switch
            {
                VaultOperation.Lifecycle.Delete => lifecycle.Delete(type, s.name, self._access, self._companions),
                VaultOperation.Lifecycle.GetDeleted => lifecycle.GetDeleted(type, s.name),
                _ => lifecycle.Recover(type, s.name, self._access, self._companions),
            });
        }, cancellationToken).AsTask();

    private async IAsyncEnumerable<T> Enumerate<T>(VaultOperation.Lifecycle step, string? name, Func<ObjectVersion, T> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var versions = _operations.Run(VaultOperation.For(_type, step), _type, name, (this, step, name), static s =>
        {
            var (self, listStep, objectName) = s;
            return listStep switch
            {
                VaultOperation.Lifecycle.List => self._lifecycle.ListCurrent(self._type),
                VaultOperation.Lifecycle.ListDeleted => self._lifecycle.ListDeleted(self._type),
                _ => self.ListVersions(objectName!),
            };
        }, cancellationToken);
        foreach (var version in versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return map(version);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private IReadOnlyList<ObjectVersion> ListVersions(string name)
    {
        ObjectRules.ValidateName(_type, name);
        return _lifecycle.ListVersions(_type, name);
    }
}
