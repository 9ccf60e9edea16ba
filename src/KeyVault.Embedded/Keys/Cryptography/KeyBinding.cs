namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// Where a <see cref="CryptographyClient"/> gets its key and who decides whether an operation may run: a vault key
/// (<see cref="VaultKeyBinding"/>) or a JSON Web Key held locally (<see cref="LocalKeyBinding"/>).
/// </summary>
internal abstract class KeyBinding : IDisposable
{
    /// <summary>The key's identifier: the version's id once known, else the key's.</summary>
    public abstract string? KeyId { get; }

    /// <summary>
    /// Runs one operation on the key: <see cref="Begin"/> (the operation path, the key's state rules, a lease on the
    /// key), the work, <see cref="End"/>. No generic virtual dispatch and no closure: the small AES operations feel
    /// every nanosecond here.
    /// </summary>
    public TResult Run<TState, TResult>(string operation, KeyOperations kind, TState state, Func<KeyState, TState, TResult> body, CancellationToken cancellationToken)
    {
        var key = Begin(operation, kind, cancellationToken, out var context);
        TResult result;
        try
        {
            result = body(key, state);
        }
        catch (Exception ex)
        {
            End(key, ref context, ex);
            throw;
        }

        End(key, ref context, null);
        return result;
    }

    /// <summary>
    /// Starts an operation: passes the vault's operation path where there is one, checks that the key's state allows
    /// the operation, and takes a reference on the key so that it cannot be zeroed under the operation.
    /// </summary>
    /// <returns>The key to use, held until <see cref="End"/>.</returns>
    protected abstract KeyState Begin(string operation, KeyOperations kind, CancellationToken cancellationToken, out Operations.OperationContext context);

    /// <summary>Ends an operation <see cref="Begin"/> started: releases the key and reports the outcome.</summary>
    protected abstract void End(KeyState key, ref Operations.OperationContext context, Exception? failure);

    public abstract void Dispose();

    /// <summary>
    /// Azure's rules for using a key: a disabled key does nothing; an operation must be in the key's key_ops; outside
    /// notBefore/expiresOn only decrypt, unwrapKey and verify run.
    /// </summary>
    protected static void Authorize(KeyState state, KeyOperations kind, string name, TimeProvider? time)
    {
        if (!state.Enabled)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.KeyDisabled, name, KeyOperationNames.Name(kind), "the key is disabled");
        }

        if ((state.Allowed & kind) == 0)
        {
            throw VaultErrors.KeyRefused(VaultErrorCode.OperationNotPermitted, name, KeyOperationNames.Name(kind), "the key's allowed operations (key_ops) do not include it");
        }

        if (time is not null && (kind & KeyOperations.AllowedOutsideValidity) == 0 && (state.NotBefore is not null || state.ExpiresOn is not null))
        {
            var now = time.GetUtcNow();
            if (now < state.NotBefore)
            {
                throw VaultErrors.KeyRefused(VaultErrorCode.KeyNotYetValid, name, KeyOperationNames.Name(kind), $"the key is not valid before {state.NotBefore:u}; until then it only decrypts, unwraps and verifies");
            }

            if (now > state.ExpiresOn)
            {
                throw VaultErrors.KeyRefused(VaultErrorCode.KeyExpired, name, KeyOperationNames.Name(kind), $"the key expired on {state.ExpiresOn:u}; it now only decrypts, unwraps and verifies");
            }
        }
    }
}
