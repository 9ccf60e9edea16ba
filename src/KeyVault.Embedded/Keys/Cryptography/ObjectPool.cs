namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// A small lock-free pool of cryptographic objects that are not documented as thread-safe (<c>RSA</c>, <c>ECDsa</c>,
/// <c>AesGcm</c>, <c>Aes</c>, key wrap engines), so one key serves many threads without rebuilding its key schedule
/// on every call. Renting and returning allocate nothing; a rent from an empty pool builds a new object.
/// </summary>
internal sealed class ObjectPool<T> : IDisposable
    where T : class
{
    private readonly Func<T> _create;
    private readonly T?[] _slots;
    private volatile bool _disposed;

    public ObjectPool(Func<T> create)
    {
        _create = create;
        _slots = new T?[Math.Max(2, Environment.ProcessorCount * 2)];
    }

    public T Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.Exchange(ref _slots[i], null) is { } item)
            {
                return item;
            }
        }

        return _create();
    }

    public void Return(T item)
    {
        for (var i = 0; i < _slots.Length && !_disposed; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], item, null) is null)
            {
                if (_disposed && Interlocked.Exchange(ref _slots[i], null) is { } late)
                {
                    Release(late);
                }

                return;
            }
        }

        Release(item);
    }

    public void Dispose()
    {
        _disposed = true;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.Exchange(ref _slots[i], null) is { } item)
            {
                Release(item);
            }
        }
    }

    private static void Release(T item) => (item as IDisposable)?.Dispose();
}
