using System.Security.Cryptography;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// Cryptographic operations with one key, as the Azure SDK's <c>CryptographyClient</c>: encrypt/decrypt,
/// wrap/unwrap, sign/verify a digest, and sign/verify data (the client hashes it).
/// </summary>
/// <remarks>
/// <para>From <see cref="IKeyStore.GetCryptographyClient"/>: the vault's key, loaded once and reused by every call
/// and every thread; each call checks the key's state (disabled, allowed operations, validity dates, deleted) and
/// follows rotation. From a <see cref="JsonWebKey"/>: a local client for that key alone (public operations from a
/// public key; private ones too when the JWK has its private members).</para>
/// <para>The vault does the work before a call returns, so the async methods complete synchronously; both forms are
/// here as in the Azure SDK. Dispose the client to zero the key material it holds.</para>
/// <para>Refusals: <c>KeyDisabled</c>, <c>OperationNotPermitted</c>, <c>KeyExpired</c>, <c>KeyNotYetValid</c> (403);
/// an algorithm that does not suit the key (type, curve, size) or a digest of the wrong length is <c>BadParameter</c>.</para>
/// </remarks>
public sealed class CryptographyClient : IDisposable
{
    private readonly KeyBinding _binding;

    /// <summary>Creates a local client over a JSON Web Key (no vault involved).</summary>
    /// <param name="key">The key; with its private members for decrypt, unwrap and sign.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> when the key is malformed.</exception>
    public CryptographyClient(JsonWebKey key)
    {
        _binding = new LocalKeyBinding(key);
    }

    internal CryptographyClient(KeyBinding binding)
    {
        _binding = binding;
    }

    /// <summary>The identifier of the key version in use (before the first call: of the key).</summary>
    public string? KeyId => _binding.KeyId;

    /// <summary>Encrypts with the given parameters.</summary>
    /// <param name="parameters">Algorithm, plaintext and, as the algorithm needs, IV and additional data.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The ciphertext, with the IV and tag for AES.</returns>
    public EncryptResult Encrypt(EncryptParameters parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _binding.Run(VaultOperation.KeyEncrypt, KeyOperations.Encrypt, parameters, static (key, p) =>
        {
            var output = key.Lease.Key.Encrypt(p.Algorithm, p.Plaintext, p.Iv, p.AdditionalAuthenticatedData);
            return new EncryptResult(key.KeyId, p.Algorithm, output.Ciphertext, output.Iv, output.AuthenticationTag, p.AdditionalAuthenticatedData);
        }, cancellationToken);
    }

    /// <summary>Encrypts with an algorithm that needs nothing more than the plaintext (RSA, or AES with generated IV).</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="plaintext">The data.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The ciphertext, with the IV and tag for AES.</returns>
    public EncryptResult Encrypt(EncryptionAlgorithm algorithm, byte[] plaintext, CancellationToken cancellationToken = default) =>
        Encrypt(EncryptParameters.For(algorithm, plaintext), cancellationToken);

    /// <summary>Decrypts with the given parameters.</summary>
    /// <param name="parameters">Algorithm, ciphertext and, for AES, the IV, tag and additional data of the encryption.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The plaintext.</returns>
    public DecryptResult Decrypt(DecryptParameters parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _binding.Run(VaultOperation.KeyDecrypt, KeyOperations.Decrypt, parameters, static (key, p) =>
            new DecryptResult(key.KeyId, p.Algorithm, key.Lease.Key.Decrypt(p.Algorithm, p.Ciphertext, p.Iv, p.AuthenticationTag, p.AdditionalAuthenticatedData)), cancellationToken);
    }

    /// <summary>Decrypts an RSA ciphertext.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="ciphertext">The data.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The plaintext.</returns>
    public DecryptResult Decrypt(EncryptionAlgorithm algorithm, byte[] ciphertext, CancellationToken cancellationToken = default) =>
        Decrypt(DecryptParameters.For(algorithm, ciphertext), cancellationToken);

    /// <summary>Wraps (encrypts) a key.</summary>
    /// <param name="algorithm">RSA-OAEP, RSA-OAEP-256 or A128/192/256KW.</param>
    /// <param name="key">The key to wrap.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The wrapped key.</returns>
    public WrapResult WrapKey(KeyWrapAlgorithm algorithm, byte[] key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _binding.Run(VaultOperation.KeyWrap, KeyOperations.WrapKey, (algorithm, key), static (k, s) =>
            new WrapResult(k.KeyId, s.algorithm, k.Lease.Key.WrapKey(s.algorithm, s.key)), cancellationToken);
    }

    /// <summary>Unwraps (decrypts) a key.</summary>
    /// <param name="algorithm">The algorithm it was wrapped with.</param>
    /// <param name="encryptedKey">The wrapped key.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The key.</returns>
    public UnwrapResult UnwrapKey(KeyWrapAlgorithm algorithm, byte[] encryptedKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encryptedKey);
        return _binding.Run(VaultOperation.KeyUnwrap, KeyOperations.UnwrapKey, (algorithm, encryptedKey), static (k, s) =>
            new UnwrapResult(k.KeyId, s.algorithm, k.Lease.Key.UnwrapKey(s.algorithm, s.encryptedKey)), cancellationToken);
    }

    /// <summary>Signs a digest (for ECDSA, the signature is JWS r‖s).</summary>
    /// <param name="algorithm">The algorithm; the digest length must match its hash.</param>
    /// <param name="digest">The digest.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The signature.</returns>
    public SignResult Sign(SignatureAlgorithm algorithm, byte[] digest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return _binding.Run(VaultOperation.KeySign, KeyOperations.Sign, (algorithm, digest), static (k, s) =>
            new SignResult(k.KeyId, s.algorithm, k.Lease.Key.Sign(s.algorithm, s.digest)), cancellationToken);
    }

    /// <summary>Verifies a signature over a digest.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="digest">The digest.</param>
    /// <param name="signature">The signature.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>Whether the signature is valid.</returns>
    public VerifyResult Verify(SignatureAlgorithm algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(signature);
        return _binding.Run(VaultOperation.KeyVerify, KeyOperations.Verify, (algorithm, digest, signature), static (k, s) =>
            new VerifyResult(k.KeyId, s.algorithm, k.Lease.Key.Verify(s.algorithm, s.digest, s.signature)), cancellationToken);
    }

    /// <summary>Hashes data with the algorithm's hash and signs the digest.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="data">The data.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The signature.</returns>
    public SignResult SignData(SignatureAlgorithm algorithm, byte[] data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Sign(algorithm, Hash(algorithm, data), cancellationToken);
    }

    /// <summary>Hashes a stream with the algorithm's hash and signs the digest.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="data">The data, read to its end.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>The signature.</returns>
    public SignResult SignData(SignatureAlgorithm algorithm, Stream data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Sign(algorithm, Hash(algorithm, data), cancellationToken);
    }

    /// <summary>Hashes data with the algorithm's hash and verifies the signature over the digest.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="data">The data.</param>
    /// <param name="signature">The signature.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>Whether the signature is valid.</returns>
    public VerifyResult VerifyData(SignatureAlgorithm algorithm, byte[] data, byte[] signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Verify(algorithm, Hash(algorithm, data), signature, cancellationToken);
    }

    /// <summary>Hashes a stream with the algorithm's hash and verifies the signature over the digest.</summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="data">The data, read to its end.</param>
    /// <param name="signature">The signature.</param>
    /// <param name="cancellationToken">Cancels the call before it runs.</param>
    /// <returns>Whether the signature is valid.</returns>
    public VerifyResult VerifyData(SignatureAlgorithm algorithm, Stream data, byte[] signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Verify(algorithm, Hash(algorithm, data), signature, cancellationToken);
    }

    /// <inheritdoc cref="Encrypt(EncryptParameters, CancellationToken)"/>
    public Task<EncryptResult> EncryptAsync(EncryptParameters parameters, CancellationToken cancellationToken = default) =>
        Completed(this, (parameters, cancellationToken), static (c, s) => c.Encrypt(s.parameters, s.cancellationToken));

    /// <inheritdoc cref="Encrypt(EncryptionAlgorithm, byte[], CancellationToken)"/>
    public Task<EncryptResult> EncryptAsync(EncryptionAlgorithm algorithm, byte[] plaintext, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, plaintext, cancellationToken), static (c, s) => c.Encrypt(s.algorithm, s.plaintext, s.cancellationToken));

    /// <inheritdoc cref="Decrypt(DecryptParameters, CancellationToken)"/>
    public Task<DecryptResult> DecryptAsync(DecryptParameters parameters, CancellationToken cancellationToken = default) =>
        Completed(this, (parameters, cancellationToken), static (c, s) => c.Decrypt(s.parameters, s.cancellationToken));

    /// <inheritdoc cref="Decrypt(EncryptionAlgorithm, byte[], CancellationToken)"/>
    public Task<DecryptResult> DecryptAsync(EncryptionAlgorithm algorithm, byte[] ciphertext, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, ciphertext, cancellationToken), static (c, s) => c.Decrypt(s.algorithm, s.ciphertext, s.cancellationToken));

    /// <inheritdoc cref="WrapKey(KeyWrapAlgorithm, byte[], CancellationToken)"/>
    public Task<WrapResult> WrapKeyAsync(KeyWrapAlgorithm algorithm, byte[] key, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, key, cancellationToken), static (c, s) => c.WrapKey(s.algorithm, s.key, s.cancellationToken));

    /// <inheritdoc cref="UnwrapKey(KeyWrapAlgorithm, byte[], CancellationToken)"/>
    public Task<UnwrapResult> UnwrapKeyAsync(KeyWrapAlgorithm algorithm, byte[] encryptedKey, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, encryptedKey, cancellationToken), static (c, s) => c.UnwrapKey(s.algorithm, s.encryptedKey, s.cancellationToken));

    /// <inheritdoc cref="Sign(SignatureAlgorithm, byte[], CancellationToken)"/>
    public Task<SignResult> SignAsync(SignatureAlgorithm algorithm, byte[] digest, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, digest, cancellationToken), static (c, s) => c.Sign(s.algorithm, s.digest, s.cancellationToken));

    /// <inheritdoc cref="Verify(SignatureAlgorithm, byte[], byte[], CancellationToken)"/>
    public Task<VerifyResult> VerifyAsync(SignatureAlgorithm algorithm, byte[] digest, byte[] signature, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, digest, signature, cancellationToken), static (c, s) => c.Verify(s.algorithm, s.digest, s.signature, s.cancellationToken));

    /// <inheritdoc cref="SignData(SignatureAlgorithm, byte[], CancellationToken)"/>
    public Task<SignResult> SignDataAsync(SignatureAlgorithm algorithm, byte[] data, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, data, cancellationToken), static (c, s) => c.SignData(s.algorithm, s.data, s.cancellationToken));

    /// <inheritdoc cref="SignData(SignatureAlgorithm, Stream, CancellationToken)"/>
    public Task<SignResult> SignDataAsync(SignatureAlgorithm algorithm, Stream data, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, data, cancellationToken), static (c, s) => c.SignData(s.algorithm, s.data, s.cancellationToken));

    /// <inheritdoc cref="VerifyData(SignatureAlgorithm, byte[], byte[], CancellationToken)"/>
    public Task<VerifyResult> VerifyDataAsync(SignatureAlgorithm algorithm, byte[] data, byte[] signature, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, data, signature, cancellationToken), static (c, s) => c.VerifyData(s.algorithm, s.data, s.signature, s.cancellationToken));

    /// <inheritdoc cref="VerifyData(SignatureAlgorithm, Stream, byte[], CancellationToken)"/>
    public Task<VerifyResult> VerifyDataAsync(SignatureAlgorithm algorithm, Stream data, byte[] signature, CancellationToken cancellationToken = default) =>
        Completed(this, (algorithm, data, signature, cancellationToken), static (c, s) => c.VerifyData(s.algorithm, s.data, s.signature, s.cancellationToken));

    /// <summary>Retires the key material this client holds; it is zeroed when no call is using it.</summary>
    public void Dispose() => _binding.Dispose();

    /// <summary>The key id; never key material.</summary>
    public override string ToString() => $"CryptographyClient({KeyId})";

    private static byte[] Hash(SignatureAlgorithm algorithm, byte[] data) => Algorithms.Describe(algorithm).Hash.Name switch
    {
        "SHA256" => SHA256.HashData(data),
        "SHA384" => SHA384.HashData(data),
        _ => SHA512.HashData(data),
    };

    private static byte[] Hash(SignatureAlgorithm algorithm, Stream data) => Algorithms.Describe(algorithm).Hash.Name switch
    {
        "SHA256" => SHA256.HashData(data),
        "SHA384" => SHA384.HashData(data),
        _ => SHA512.HashData(data),
    };

    // The work is synchronous; an exception travels in the task, as from an async method.
    private static Task<TResult> Completed<TState, TResult>(CryptographyClient client, TState state, Func<CryptographyClient, TState, TResult> work)
    {
        try
        {
            return Task.FromResult(work(client, state));
        }
        catch (Exception ex)
        {
            return Task.FromException<TResult>(ex);
        }
    }
}
