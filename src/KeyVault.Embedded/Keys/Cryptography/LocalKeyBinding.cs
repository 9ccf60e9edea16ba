namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A key held by the client itself, from a JSON Web Key: public operations, and private ones when the JWK has its private members.</summary>
internal sealed class LocalKeyBinding : KeyBinding
{
    private readonly KeyState _state;
    private readonly string _name;

    public LocalKeyBinding(JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var family = KeyTypes.Family(key.KeyType);
        var operations = key.KeyOps is { Count: > 0 } ops ? ops.Select(o => o.Value) : JsonWebKey.DefaultOperations(family).Select(o => o.Value);
        _state = new KeyState(new LeasedKey(KeyFactory.FromJwk(key)), key.Id, null, 0, enabled: true, KeyOperationNames.Parse(operations), null, null);
        _name = key.Id ?? "(local)";
    }

    public override string? KeyId => _state.KeyId;

    protected override KeyState Begin(string operation, KeyOperations kind, CancellationToken cancellationToken, out Operations.OperationContext context)
    {
        cancellationToken.ThrowIfCancellationRequested();
        context = default;
        Authorize(_state, kind, _name, time: null);
        return _state.Lease.TryAcquire() ? _state : throw new ObjectDisposedException(nameof(CryptographyClient));
    }

    protected override void End(KeyState key, ref Operations.OperationContext context, Exception? failure) => key.Lease.Release();

    public override void Dispose() => _state.Lease.Retire();
}
