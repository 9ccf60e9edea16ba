using System.Buffers;
using System.Security.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// A vault key for a cryptography client: unsealed once and reused. Every operation runs through the vault's
/// operation pipeline and checks the key's state. When the vault changes (its change counter moves), the client looks
/// again: new properties apply at once; a new current version (rotation) is unsealed and the old material retired;
/// a deleted key stops working.
/// </summary>
internal sealed class VaultKeyBinding : KeyBinding
{
    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly string _name;
    private readonly string? _version;
    private readonly Lock _refresh = new();
    private volatile KeyState? _state;
    private volatile bool _disposed;

    // Made once: a method group passed per call would allocate a delegate on every operation.
    private readonly Func<bool> _isAsymmetric;

    public VaultKeyBinding(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations, string name, string? version)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
        _name = name;
        _version = version;
        _isAsymmetric = IsAsymmetric;
    }

    public override string? KeyId => _state?.KeyId ?? new Uri(_core.Uri, _version is null ? $"keys/{_name}" : $"keys/{_name}/{_version}").ToString();

    protected override KeyState Begin(string operation, KeyOperations kind, CancellationToken cancellationToken, out OperationContext context)
    {
        context = default;
        try
        {
            _operations.Begin(operation, ObjectType.Key, _name, cancellationToken, out context, _isAsymmetric);
        }
        catch
        {
            _operations.WaitForRecord(ref context, failed: true);
            throw;
        }

        try
        {
            var key = Acquire(kind);
            if (context.ReliedOnKeyType && key.Lease.Key.Family == KeyType.Oct)
            {
                // The key changed type between the check and the look-up (deleted and made again as AES): judged again.
                try
                {
                    _core.Access.Authorize(operation, ObjectType.Key, _name, static () => false);
                }
                catch
                {
                    key.Lease.Release();
                    throw;
                }
            }

            return key;
        }
        catch (Exception ex)
        {
            _operations.End(ref context, ex);
            _operations.WaitForRecord(ref context, failed: true);
            throw;
        }
    }

    protected override void End(KeyState key, ref OperationContext context, Exception? failure)
    {
        key.Lease.Release();
        _operations.End(ref context, failure);
        _operations.WaitForRecord(ref context, failure is not null);
    }

    /// <summary>Whether the key is RSA or EC: then its public-key operations need only read access (Azure's rule).</summary>
    private bool IsAsymmetric() => Current().Lease.Key.Family != KeyType.Oct;

    public override void Dispose()
    {
        _disposed = true;
        lock (_refresh)
        {
            Retire(_state);
            _state = null;
        }
    }

    /// <summary>The current key, checked against its state rules and held by a lease.</summary>
    private KeyState Acquire(KeyOperations kind)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(CryptographyClient));
            var keyState = Current();
            Authorize(keyState, kind, _name, _core.Time);
            if (keyState.Lease.TryAcquire())
            {
                return keyState;
            }

            // The key was retired between the look-up and the operation (rotated, or the vault is closing): look again.
            _core.ThrowIfDisposed();
            lock (_refresh)
            {
                if (ReferenceEquals(_state, keyState))
                {
                    _state = null;
                }
            }
        }
    }

    private KeyState Current()
    {
        var state = _state;
        if (state is not null && state.Generation == _core.Generation)
        {
            return state;
        }

        lock (_refresh)
        {
            state = _state;
            if (state is not null && state.Generation == _core.Generation)
            {
                return state;
            }

            ObjectDisposedException.ThrowIf(_disposed, typeof(CryptographyClient));
            state = Refresh(state);
            _state = state;
            return state;
        }
    }

    private KeyState Refresh(KeyState? previous)
    {
        var generation = _core.Generation;
        ObjectVersion found;
        try
        {
            ObjectRules.ValidateName(ObjectType.Key, _name);
            found = Sync.Wait(_version is null ? _lifecycle.GetCurrentAsync(ObjectType.Key, _name) : _lifecycle.GetVersionAsync(ObjectType.Key, _name, _version));
        }
        catch (VaultObjectNotFoundException)
        {
            Retire(previous);
            _state = null;
            throw;
        }

        var attributes = found.Attributes;
        var keyAttributes = attributes.Key ?? throw new VaultIntegrityException($"The record of key '{_name}' holds no key attributes.");
        LeasedKey lease;
        if (previous?.Stored?.Key == found.Stored.Key)
        {
            lease = previous.Lease; // same version, same material: only its properties may have changed
        }
        else
        {
            lease = Load(found, keyAttributes);
            Retire(previous);
        }

        return new KeyState(
            lease,
            new Uri(_core.Uri, $"keys/{found.Name}/{found.Version}").ToString(),
            found.Stored,
            generation,
            attributes.Enabled,
            KeyOperationNames.Parse(keyAttributes.Operations),
            RecordAttributes.FromUnix(attributes.NotBefore),
            RecordAttributes.FromUnix(attributes.ExpiresOn));
    }

    private LeasedKey Load(ObjectVersion found, KeyAttributes attributes)
    {
        var length = ObjectLifecycle.PayloadLength(found);
        var payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            _lifecycle.Unseal(found, payload.AsSpan(0, length));
            var lease = new LeasedKey(KeyMaker.Load(_core, attributes, payload.AsSpan(0, length)));
            _core.KeyLeases.TryAdd(lease, 0);
            return lease;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    private void Retire(KeyState? state)
    {
        if (state is not null)
        {
            _core.KeyLeases.TryRemove(state.Lease, out _);
            state.Lease.Retire();
        }
    }
}
