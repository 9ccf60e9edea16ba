namespace KeyVault.Embedded;

/// <summary>
/// An opened root key: wraps and unwraps the vault's key-encryption keys. Implementations must authenticate
/// (RFC 3394 key wrap does), so that a wrong root fails to unwrap instead of producing a wrong key.
/// </summary>
public interface IRootKey : IDisposable
{
    /// <summary>
    /// Non-secret parameters to record in the vault header, handed back through
    /// <see cref="RootKeyContext.StoredParameters"/> at the next open (a salt and cost, a token and key label).
    /// </summary>
    IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>Wraps a key-encryption key (32 bytes).</summary>
    /// <param name="key">The key to wrap.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The wrapped key.</returns>
    ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);

    /// <summary>Unwraps a key-encryption key. The caller owns the returned bytes and zeroes them.</summary>
    /// <param name="wrappedKey">A key wrapped by <see cref="WrapKeyAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The key.</returns>
    /// <exception cref="System.Security.Cryptography.CryptographicException">
    /// The wrapped key was not made by this root (wrong key) or was altered.
    /// </exception>
    ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Derives a 32-byte key from the root and <paramref name="context"/>: the same bytes every time for the same root
    /// and context, and impossible to compute without the root. The vault authenticates its metadata (commits, the
    /// rollback anchor) with keys derived from it, so that a leaked key-encryption key alone cannot forge them. The
    /// built-in roots wrap SHA-256(context) with RFC 3394 (deterministic) and hash the result, so the same AES key
    /// gives the same binding in software and in a token. The caller owns and zeroes the returned bytes.
    /// </summary>
    /// <param name="context">What the key is for.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The derived key.</returns>
    ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default);
}
