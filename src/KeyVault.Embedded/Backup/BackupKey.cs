using System.Security.Cryptography;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// The key that seals backups of objects (per-object blobs, portable exports) under a root: derived by the root itself
/// (<see cref="IRootKey.DeriveKeyAsync"/>), so it is the same in every vault that shares that root (the same software
/// key, the same token key) and cannot be computed without it. Each seal derives a key of its own from a random salt
/// (HKDF), then AES-256-GCM: <c>salt (32) | nonce (12) | ciphertext | tag (16)</c>.
/// </summary>
internal sealed class BackupKey : IDisposable
{
    public const int RootCheckSize = 16;
    public const int Overhead = SaltSize + NonceSize + TagSize;
    private const int SaltSize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly ReadOnlyMemory<byte> Context = "KeyVault.Embedded object backup v1"u8.ToArray();
    private readonly byte[] _key;

    private BackupKey(byte[] key)
    {
        _key = key;
    }

    /// <summary>Derives the backup key of <paramref name="root"/>.</summary>
    /// <exception cref="VaultException"><c>RootKeyUnavailable</c> when the root derives a key of the wrong size.</exception>
    public static async ValueTask<BackupKey> FromRootAsync(IRootKey root, CancellationToken cancellationToken)
    {
        var derived = await root.DeriveKeyAsync(Context, cancellationToken).ConfigureAwait(false);
        if (derived.Length != 32)
        {
            CryptographicOperations.ZeroMemory(derived);
            throw VaultErrors.RootKeyUnavailable($"the root derived a key of {derived.Length} bytes; 32 are needed");
        }

        var key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        derived.CopyTo(key, 0);
        CryptographicOperations.ZeroMemory(derived);
        return new BackupKey(key);
    }

    /// <summary>A value that tells this root from another without revealing anything of it (an HMAC of a constant).</summary>
    public byte[] RootCheck()
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, "KVE backup root check"u8, mac);
        return mac[..RootCheckSize].ToArray();
    }

    /// <summary>Whether <paramref name="check"/> is this root's check value, in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> check) => check.Length == RootCheckSize && CryptographicOperations.FixedTimeEquals(RootCheck(), check);

    /// <summary>
    /// The tag that vouches for an HSM key version's token reference and attributes: HMAC-SHA-256 under this key of
    /// <c>"KVE token key v1" | type (1) | name length (2) | lowercase name | version | attribute bytes</c>. Only a vault
    /// under the same root computes the same tag, so a reference cannot be pointed at another token object (another
    /// vault's key, the root key) or given other operations.
    /// </summary>
    public byte[] TokenTag(Lifecycle.ObjectType type, string normalizedName, string version, ReadOnlySpan<byte> attributeBytes)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(normalizedName);
        var input = new byte[16 + 1 + 2 + name.Length + version.Length + attributeBytes.Length];
        "KVE token key v1"u8.CopyTo(input);
        input[16] = (byte)type;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(17), checked((ushort)name.Length));
        name.CopyTo(input, 19);
        System.Text.Encoding.ASCII.GetBytes(version, input.AsSpan(19 + name.Length));
        attributeBytes.CopyTo(input.AsSpan(19 + name.Length + version.Length));
        return HMACSHA256.HashData(_key, input);
    }

    /// <summary>Seals <paramref name="plaintext"/>, bound to <paramref name="associated"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> associated, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[Overhead + plaintext.Length];
        var salt = output.AsSpan(0, SaltSize);
        var nonce = output.AsSpan(SaltSize, NonceSize);
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[32];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, key, salt, "KVE backup seal v1"u8);
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, plaintext, output.AsSpan(SaltSize + NonceSize, plaintext.Length), output.AsSpan(SaltSize + NonceSize + plaintext.Length, TagSize), associated);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        return output;
    }

    /// <summary>Opens a seal into a pinned array (the caller zeroes it).</summary>
    /// <exception cref="CryptographicException">The seal is not this key's or was altered.</exception>
    public byte[] Open(ReadOnlySpan<byte> associated, ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < Overhead)
        {
            throw new CryptographicException("The seal is too short.");
        }

        var length = sealedBytes.Length - Overhead;
        var plaintext = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        Span<byte> key = stackalloc byte[32];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, key, sealedBytes[..SaltSize], "KVE backup seal v1"u8);
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.Slice(SaltSize, NonceSize), sealedBytes.Slice(SaltSize + NonceSize, length), sealedBytes.Slice(SaltSize + NonceSize + length, TagSize), plaintext, associated);
            return plaintext;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
