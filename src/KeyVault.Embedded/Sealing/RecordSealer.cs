using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.KeyHierarchy;

namespace KeyVault.Embedded.Sealing;

/// <summary>
/// Seals and unseals record payloads with AES-256-GCM under a key derived per record.
/// </summary>
/// <remarks>
/// <para>Envelope (version 1):
/// <c>'K' 'V' | format (1) | KEK version (4, big-endian) | salt (32) | nonce (12) | ciphertext | tag (16)</c>.</para>
/// <para>Per-record key: <c>HKDF-Expand(SHA-256, PRK = KEK, info = label ‖ salt, 32)</c>. The KEK is 32 uniformly
/// random bytes, so it serves directly as HKDF's pseudorandom key. A fresh 256-bit salt per seal makes every
/// record key distinct (a collision needs about 2^128 seals), so no (key, nonce) pair repeats however many
/// records are written, without relying on the 96-bit random nonce alone, whose safe limit per key is 2^32 uses.</para>
/// <para>Associated data binds the payload to where it belongs and what it says about itself:
/// <c>"KVE1" | vault id | type | name | version | envelope header | attribute bytes</c>, each variable field
/// length-prefixed. Moving a payload to another vault, name or version, swapping two, editing the stored
/// attributes or any envelope byte makes the tag check fail: the read is an integrity error, never other data.</para>
/// </remarks>
internal sealed class RecordSealer
{
    public const int HeaderSize = 7;
    public const int SaltSize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int PrefixSize = HeaderSize + SaltSize + NonceSize;
    public const int Overhead = PrefixSize + TagSize;
    private const byte Format = 1;
    private const int StackLimit = 1024;

    private readonly byte[] _vaultId;
    private readonly KeyEncryptionKeyRing _ring;

    public RecordSealer(Guid vaultId, KeyEncryptionKeyRing ring)
    {
        _vaultId = vaultId.ToByteArray();
        _ring = ring;
    }

    private static ReadOnlySpan<byte> KeyLabel => "KeyVault.Embedded record key v1|"u8;

    private static ReadOnlySpan<byte> AadLabel => "KVE1"u8;

    /// <summary>Seals <paramref name="plaintext"/> under the current key-encryption key.</summary>
    public byte[] Seal(in RecordIdentity identity, ReadOnlySpan<byte> attributes, ReadOnlySpan<byte> plaintext)
    {
        var kekVersion = _ring.CurrentVersion;
        var kek = _ring.Get(kekVersion);
        if (kek.IsEmpty)
        {
            throw VaultErrors.KeyEncryptionKeyMissing(kekVersion);
        }

        var envelope = new byte[Overhead + plaintext.Length];
        envelope[0] = (byte)'K';
        envelope[1] = (byte)'V';
        envelope[2] = Format;
        BinaryPrimitives.WriteInt32BigEndian(envelope.AsSpan(3, 4), kekVersion);
        RandomNumberGenerator.Fill(envelope.AsSpan(HeaderSize, SaltSize + NonceSize));
        Transform(kek, identity, attributes, envelope.AsSpan(0, PrefixSize), plaintext, envelope.AsSpan(PrefixSize, plaintext.Length), tagIn: default, tagOut: envelope.AsSpan(envelope.Length - TagSize));
        return envelope;
    }

    /// <summary>The plaintext length of an envelope, or -1 when it is too short to be one.</summary>
    public static int PlaintextLength(ReadOnlySpan<byte> envelope) => envelope.Length >= Overhead ? envelope.Length - Overhead : -1;

    /// <summary>The key-encryption key version an envelope was sealed under.</summary>
    public static int KekVersion(ReadOnlySpan<byte> envelope) => BinaryPrimitives.ReadInt32BigEndian(envelope.Slice(3, 4));

    /// <summary>
    /// Authenticates and decrypts an envelope into <paramref name="plaintext"/> (exactly
    /// <see cref="PlaintextLength"/> bytes). The caller zeroes the plaintext when done.
    /// </summary>
    /// <exception cref="CryptographicException">The envelope is malformed, names an unknown key, or fails authentication.</exception>
    public void Unseal(in RecordIdentity identity, ReadOnlySpan<byte> attributes, ReadOnlySpan<byte> envelope, Span<byte> plaintext)
    {
        var length = PlaintextLength(envelope);
        if (length < 0 || plaintext.Length != length || envelope[0] != (byte)'K' || envelope[1] != (byte)'V' || envelope[2] != Format)
        {
            throw new CryptographicException("The sealed record is malformed.");
        }

        var kek = _ring.Get(KekVersion(envelope));
        if (kek.IsEmpty)
        {
            throw new CryptographicException("The sealed record names a key-encryption key the vault does not have.");
        }

        Transform(kek, identity, attributes, envelope[..PrefixSize], envelope.Slice(PrefixSize, length), plaintext, tagIn: envelope[^TagSize..], tagOut: default);
    }

    /// <summary>
    /// Derives the record key from the envelope's salt and runs AES-GCM over <paramref name="input"/> into
    /// <paramref name="output"/> with the envelope's nonce and the record's associated data: encrypts when
    /// <paramref name="tagOut"/> is given, decrypts and checks <paramref name="tagIn"/> otherwise.
    /// </summary>
    private void Transform(ReadOnlySpan<byte> kek, in RecordIdentity identity, ReadOnlySpan<byte> attributes, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> tagIn, Span<byte> tagOut)
    {
        Span<byte> recordKey = stackalloc byte[32];
        byte[]? rented = null;
        var aadLength = AadLength(identity, attributes);
        var aad = aadLength <= StackLimit ? stackalloc byte[aadLength] : (rented = ArrayPool<byte>.Shared.Rent(aadLength)).AsSpan(0, aadLength);
        try
        {
            DeriveKey(kek, prefix.Slice(HeaderSize, SaltSize), recordKey);
            WriteAad(aad, identity, prefix[..HeaderSize], attributes);
            var nonce = prefix.Slice(HeaderSize + SaltSize, NonceSize);
            using var gcm = new AesGcm(recordKey, TagSize);
            if (tagOut.IsEmpty)
            {
                gcm.Decrypt(nonce, input, tagIn, output, aad);
            }
            else
            {
                gcm.Encrypt(nonce, input, output, tagOut, aad);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(recordKey);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void DeriveKey(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> salt, Span<byte> recordKey)
    {
        Span<byte> info = stackalloc byte[KeyLabel.Length + SaltSize];
        KeyLabel.CopyTo(info);
        salt.CopyTo(info[KeyLabel.Length..]);
        HKDF.Expand(HashAlgorithmName.SHA256, kek, recordKey, info);
    }

    private static int AadLength(in RecordIdentity identity, ReadOnlySpan<byte> attributes) =>
        AadLabel.Length + 16 + 1 + 1 + Encoding.UTF8.GetByteCount(identity.NormalizedName) + 1 +
        Encoding.UTF8.GetByteCount(identity.Version) + HeaderSize + 4 + attributes.Length;

    private void WriteAad(Span<byte> aad, in RecordIdentity identity, ReadOnlySpan<byte> header, ReadOnlySpan<byte> attributes)
    {
        var at = 0;
        AadLabel.CopyTo(aad);
        at += AadLabel.Length;
        _vaultId.CopyTo(aad[at..]);
        at += _vaultId.Length;
        aad[at++] = (byte)identity.Type;
        at += WriteShortString(aad[at..], identity.NormalizedName);
        at += WriteShortString(aad[at..], identity.Version);
        header.CopyTo(aad[at..]);
        at += header.Length;
        BinaryPrimitives.WriteInt32BigEndian(aad[at..], attributes.Length);
        at += 4;
        attributes.CopyTo(aad[at..]);
    }

    private static int WriteShortString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[1..]);
        destination[0] = checked((byte)written);
        return written + 1;
    }
}
