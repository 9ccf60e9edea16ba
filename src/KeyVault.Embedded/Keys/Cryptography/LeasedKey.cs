namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// A loaded key shared by concurrent operations. The owner's reference plus one per operation in flight are
/// counted; when the owner retires it (the key changed, the client or vault was disposed) the key material is
/// disposed, and zeroed, as soon as the last operation using it ends, never under an operation's feet.
/// </summary>
internal sealed class LeasedKey
{
    private int _references = 1;
    private int _retired;

    public LeasedKey(CryptoKey key)
    {
        Key = key;
    }

    public CryptoKey Key { get; }

    /// <summary>Takes a reference for one operation; false when the key is already gone.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Key.Dispose();
        }
    }

    /// <summary>Drops the owner's reference (once): the key goes when no operation holds it.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Release();
        }
    }
}
