namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// Where a <see cref="CryptographyClient"/> gets its key and who decides whether an operation may run: a vault key
/// (<see cref="VaultKeyBinding"/>) or a JSON Web Key held locally (<see cref="LocalKeyBinding"/>).
/// </summary>
internal abstract class KeyBinding : IDisposable
{
    /// <summary>The key's identifier: the version's id once known, else the key's.</summary>
    public abstract string? KeyId { get; }

    /// <summary>Runs one operation on the key, after checking that its state allows it.</summary>
    public abstract TResult Run<TState, TResult>(string operation, KeyOperations kind, TState state, Func<KeyState, TState, TResult> body, CancellationToken cancellationToken);

    public abstract void Dispose();

    /// <summary>
    /// Azure's rules for using a key: a disabled key does nothing; an operation must be in the key's key_ops; outside
    /// notBefore/expiresOn only decrypt, unwrapKey and verify run.
    /// </summary>
    protected static void Authorize(KeyState state, KeyOperations kind, string name, TimeProvider? time)
    {
        var operation = KeyOperationNames.Name(kind);
        if (!state.Enabled)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.KeyDisabled, name, operation, "the key is disabled");
        }

        if ((state.Allowed & kind) == 0)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.OperationNotPermitted, name, operation, "the key's allowed operations (key_ops) do not include it");
        }

        if (time is not null && (kind & KeyOperations.AllowedOutsideValidity) == 0 && (state.NotBefore is not null || state.ExpiresOn is not null))
        {
            var now = time.GetUtcNow();
            if (now < state.NotBefore)
            {
                throw VaultErrors.KeyRefused(VaultErrorCode.KeyNotYetValid, name, operation, $"the key is not valid before {state.NotBefore:u}; until then it only decrypts, unwraps and verifies");
            }

            if (now > state.ExpiresOn)
            {
                throw VaultErrors.KeyRefused(VaultErrorCode.KeyExpired, name, operation, $"the key expired on {state.ExpiresOn:u}; it now only decrypts, unwraps and verifies");
            }
        }
    }

    /// <summary>Runs the operation with a reference on the key held, so the key cannot be zeroed under it.</summary>
    protected static TResult WithLease<TState, TResult>(KeyState keyState, TState state, Func<KeyState, TState, TResult> body, out bool leased)
    {
        leased = keyState.Lease.TryAcquire();
        if (!leased)
        {
            return default!;
        }

        try
        {
            return body(keyState, state);
        }
        finally
        {
            keyState.Lease.Release();
        }
    }
}
