namespace KeyVault.Embedded.Tests.Support;

/// <summary>A software root that can be made unreachable (as a removed token is), to test what notices it.</summary>
public sealed class SwitchableRootKey : IRootKeyProvider
{
    private readonly SoftwareRootKey _inner;

    public SwitchableRootKey(byte[] key)
    {
        _inner = SoftwareRootKey.FromBytes(key);
    }

    public bool Unreachable { get; set; }

    public string Kind => _inner.Kind;

    public async ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default) =>
        new Root(this, await _inner.OpenAsync(context, cancellationToken));

    private sealed class Root(SwitchableRootKey owner, IRootKey inner) : IRootKey
    {
        public IReadOnlyDictionary<string, string> Parameters => inner.Parameters;

        public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
            owner.Unreachable ? throw new IOException("The token is gone.") : inner.WrapKeyAsync(key, cancellationToken);

        public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default) =>
            owner.Unreachable ? throw new IOException("The token is gone.") : inner.UnwrapKeyAsync(wrappedKey, cancellationToken);

        public ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default) =>
            owner.Unreachable ? throw new IOException("The token is gone.") : inner.DeriveKeyAsync(context, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
