using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>A software root: a 256-bit key in pinned memory that wraps key-encryption keys with RFC 3394.</summary>
internal sealed class AesKeyWrapRootKey : IRootKey
{
    private readonly byte[] _key;
    private bool _disposed;

    /// <param name="key">A pinned 32-byte array; this object takes ownership and zeroes it on dispose.</param>
    /// <param name="parameters">Non-secret parameters to record (salt and cost for a passphrase root).</param>
    public AesKeyWrapRootKey(byte[] key, IReadOnlyDictionary<string, string> parameters)
    {
        _key = key;
        Parameters = parameters;
    }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult(AesKeyWrap.Wrap(_key, key.Span));
    }

    public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult(AesKeyWrap.Unwrap(_key, wrappedKey.Span));
    }

    public ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult(RootBinding.FromWrap(SHA256.HashData(context.Span), input => AesKeyWrap.Wrap(_key, input)));
    }

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
    }
}
