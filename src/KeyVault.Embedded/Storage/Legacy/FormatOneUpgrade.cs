using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Sealing;

namespace KeyVault.Embedded.Storage.Legacy;

/// <summary>
/// Checks a format-1 vault with format 1's own authentication, then converts it: every record format 1 could
/// authenticate is authenticated before it is carried over (the header, object and setting records by their HMAC under
/// key-encryption key version 1; each version by unsealing it, which authenticates its attributes). What format 1
/// could not tell (a record removed or an older copy put back before the upgrade) it cannot tell now either; from the
/// upgrade on, the manifest covers the set of records.
/// </summary>
internal static class FormatOneUpgrade
{
    private const int MacSize = 32;

    /// <summary>The key-encryption keys of a format-1 vault, unwrapped by the root (a failure is a wrong root).</summary>
    public static async ValueTask UnwrapKeysAsync(FormatOne.Content content, IRootKey root, KeyEncryptionKeyRing ring, CancellationToken cancellationToken)
    {
        var ordered = content.Keks.OrderBy(k => k.Version).ToList();
        if (ordered.Count == 0 || ordered.Select(k => k.Version).Where((v, i) => v != i + 1).Any() || content.Header.Kek < 1 || content.Header.Kek > ordered.Count)
        {
            throw new VaultIntegrityException("The format-1 vault's key-encryption key ring is incomplete: the file was altered.");
        }

        foreach (var kek in ordered)
        {
            byte[] unwrapped;
            try
            {
                unwrapped = await root.UnwrapKeyAsync(kek.Wrapped, cancellationToken).ConfigureAwait(false);
            }
            catch (CryptographicException ex)
            {
                throw VaultErrors.RootKeyMismatch($"it cannot unwrap the vault's key-encryption key version {kek.Version} (a different key, passphrase or token key)", ex);
            }

            try
            {
                if (unwrapped.Length != KeyMaterial.KeySize)
                {
                    throw new VaultIntegrityException($"The vault's key-encryption key version {kek.Version} has the wrong length.");
                }

                ring.Add(kek.Version, KeyMaterial.PinnedCopy(unwrapped));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(unwrapped);
            }
        }

        ring.SetCurrent(content.Header.Kek);
    }

    /// <summary>Authenticates every format-1 record and returns the format-2 records that replace them (the header excepted).</summary>
    /// <exception cref="VaultIntegrityException">A record fails format 1's authentication.</exception>
    public static Converted Convert(FormatOne.Content content, KeyEncryptionKeyRing ring)
    {
        var header = content.Header;
        var vaultId = header.VaultId.ToByteArray();
        var key = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        try
        {
            HKDF.Expand(HashAlgorithmName.SHA256, ring.Get(1), key, "KeyVault.Embedded metadata mac v1"u8);
            Require(Matches(key, EncodeHeader(header, vaultId), header.Mac), "the vault header");

            var objects = new List<ObjectRecord>();
            foreach (var obj in content.Objects)
            {
                Require(Matches(key, EncodeObject(obj, vaultId), obj.Mac), $"the record of '{obj.Key}'");
                var record = new ObjectRecord((ObjectType)obj.Type, obj.Name, obj.Created, obj.Deleted, obj.Purge, obj.Policy, obj.ManagedBy);
                Require(Enum.IsDefined(record.Type) && record.Key == obj.Key, $"the record of '{obj.Key}'");
                objects.Add(record);
            }

            var settings = new List<SettingRecord>();
            foreach (var setting in content.Settings)
            {
                Require(Matches(key, EncodeSetting(setting, vaultId), setting.Mac), $"the setting '{setting.Key}'");
                settings.Add(new SettingRecord(setting.Key, setting.Value));
            }

            var sealer = new RecordSealer(header.VaultId, ring);
            var byKey = objects.ToDictionary(o => o.Key, StringComparer.Ordinal);
            var versions = new List<(ObjectRecord Owner, StoredVersion Version)>();
            foreach (var version in content.Versions)
            {
                var objectKey = RecordKeys.GroupOf(version.Key);
                Require(byKey.TryGetValue(objectKey, out var owner) && RecordKeys.TryParseObject(version.Key, out _, out _, out var id) && id is not null, $"the version '{version.Key}'");
                var stored = StoredVersion.FromFormatOne(version.Key, version.Attributes, version.Sealed);
                Require(stored is not null && stored.Sequence == version.Sequence, $"the version '{version.Key}'");
                Authenticate(sealer, owner!, stored!);
                versions.Add((owner!, stored!));
            }

            foreach (var obj in objects)
            {
                Require(versions.Any(v => ReferenceEquals(v.Owner, obj)), $"the record of '{obj.Key}' (it has no versions)");
            }

            return new Converted(objects, versions, settings);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Unseals a version (into a buffer zeroed at once) to authenticate its attributes, as format 1 did on every read.</summary>
    private static void Authenticate(RecordSealer sealer, ObjectRecord owner, StoredVersion version)
    {
        var length = RecordSealer.PlaintextLength(version.Sealed);
        Require(length >= 0, $"the version '{version.Key}'");
        var plaintext = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            sealer.Unseal(new RecordIdentity(owner.Type, owner.NormalizedName, version.Version), version.AttributeBytes, version.Sealed, plaintext.AsSpan(0, length));
        }
        catch (CryptographicException ex)
        {
            throw new VaultIntegrityException($"The format-1 vault cannot be upgraded: the version '{version.Key}' fails its integrity check (the file was altered).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new VaultIntegrityException($"The format-1 vault cannot be upgraded: {what} fails its integrity check (the file was altered). Nothing was changed.");
        }
    }

    private static bool Matches(byte[] key, byte[] encoded, byte[]? mac)
    {
        if (mac is not { Length: MacSize })
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, encoded), mac);
    }

    private static byte[] EncodeHeader(FormatOne.Header header, byte[] vaultId)
    {
        var writer = new Writer("header", vaultId);
        writer.Int(header.Format);
        writer.Bytes(header.VaultId.ToByteArray());
        writer.Int(header.Created);
        writer.Int(header.Retention);
        writer.Int(header.PurgeProtection ? 1 : 0);
        writer.Int(header.Kek);
        writer.Text(header.RootKind);
        foreach (var (key, value) in header.RootParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.Text(key);
            writer.Text(value);
        }

        return writer.ToArray();
    }

    private static byte[] EncodeSetting(FormatOne.Setting setting, byte[] vaultId)
    {
        var writer = new Writer("setting", vaultId);
        writer.Text(setting.Key);
        writer.Text(setting.Value);
        return writer.ToArray();
    }

    private static byte[] EncodeObject(FormatOne.Object obj, byte[] vaultId)
    {
        var writer = new Writer("object", vaultId);
        writer.Text(obj.Key);
        writer.Int(obj.Type);
        writer.Text(obj.Name);
        writer.Int(obj.Created);
        writer.Int(obj.Deleted ?? -1);
        writer.Int(obj.Purge ?? -1);
        writer.Text(obj.Policy);
        writer.Text(obj.ManagedBy);
        return writer.ToArray();
    }

    /// <summary>The format-2 records of an upgraded vault.</summary>
    internal sealed record Converted(IReadOnlyList<ObjectRecord> Objects, IReadOnlyList<(ObjectRecord Owner, StoredVersion Version)> Versions, IReadOnlyList<SettingRecord> Settings);

    /// <summary>Format 1's length-prefixed MAC input, so that no two different records encode alike.</summary>
    private sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public Writer(string kind, byte[] vaultId)
        {
            Text(kind);
            Bytes(vaultId);
        }

        public void Int(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void Text(string? value)
        {
            if (value is null)
            {
                Int(-1);
                return;
            }

            Bytes(Encoding.UTF8.GetBytes(value));
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Int(value.Length);
            _buffer.Write(value);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
