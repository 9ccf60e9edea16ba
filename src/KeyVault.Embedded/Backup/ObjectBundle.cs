using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Records;

namespace KeyVault.Embedded.Backup;

/// <summary>One version as it travels in a backup: its id, its exact attribute bytes, and its payload in plaintext (pinned; zeroed by <see cref="BundledObject.Dispose"/>).</summary>
/// <param name="Version">The version id.</param>
/// <param name="AttributeBytes">The exact attribute JSON of the version record.</param>
/// <param name="Attributes">The same, parsed.</param>
/// <param name="Payload">What the version seals.</param>
/// <param name="TokenTag">
/// For an HSM key's version: a MAC under the vault root's backup key (<see cref="BackupKey.TokenTag"/>) over the object,
/// the version and its attributes (the token reference among them), so that only a vault under the same root accepts
/// the reference. Empty otherwise.
/// </param>
internal sealed record BundledVersion(string Version, byte[] AttributeBytes, RecordAttributes Attributes, byte[] Payload, byte[] TokenTag);

/// <summary>
/// One object as it travels in a per-object backup or a portable export: its record (name, dates, deletion, policy,
/// manager) and every version. Only ever held inside an authenticated encryption (<see cref="BackupKey"/>).
/// </summary>
internal sealed class BundledObject(ObjectRecord record, List<BundledVersion> versions) : IDisposable
{
    public ObjectRecord Record { get; } = record;

    /// <summary>Every version, oldest (lowest sequence) first.</summary>
    public List<BundledVersion> Versions { get; } = versions;

    public void Dispose()
    {
        foreach (var version in Versions)
        {
            CryptographicOperations.ZeroMemory(version.Payload);
        }
    }
}

/// <summary>
/// The plaintext inside a backup's encryption: a list of objects, length-prefixed binary (big-endian). Decoding checks
/// every rule a stored object obeys (names, version ids, attributes, sequences), so that whatever a blob holds is
/// something the vault could have written.
/// </summary>
/// <remarks>
/// <code>
/// bundle  = "KVOB" | format (1) = 1 | count (4) | object × count
/// object  = type (1) | name | created (8) | deleted (8, -1 none) | purge (8, -1 none) | policy? | managedBy? | versions (4) | version × versions
/// version = id | attributes (bytes) | payload (bytes) | token tag (bytes; empty unless an HSM key)
/// text    = length (4) | UTF-8;  text? = length (4, 0xFFFFFFFF for none) | UTF-8;  bytes = length (4) | bytes
/// </code>
/// </remarks>
internal static class ObjectBundle
{
    /// <summary>Azure's limit: a backup holds at most this many versions of its object.</summary>
    public const int MaxVersions = 500;

    private const byte Format = 1;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The bundle's bytes, in a pinned array the caller zeroes.</summary>
    public static byte[] Encode(IReadOnlyList<BundledObject> objects)
    {
        var size = 4 + 1 + 4;
        foreach (var obj in objects)
        {
            var r = obj.Record;
            size += 1 + Text(r.Name) + 24 + Text(r.Policy) + Text(r.ManagedBy) + 4;
            foreach (var v in obj.Versions)
            {
                size += Text(v.Version) + 4 + v.AttributeBytes.Length + 4 + v.Payload.Length + 4 + v.TokenTag.Length;
            }
        }

        var buffer = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        var w = new Writer(buffer);
        w.Raw("KVOB"u8);
        w.Byte(Format);
        w.Int(objects.Count);
        foreach (var obj in objects)
        {
            var r = obj.Record;
            w.Byte((byte)r.Type);
            w.Text(r.Name);
            w.Long(r.CreatedOn);
            w.Long(r.DeletedOn ?? -1);
            w.Long(r.ScheduledPurgeDate ?? -1);
            w.Text(r.Policy);
            w.Text(r.ManagedBy);
            w.Int(obj.Versions.Count);
            foreach (var v in obj.Versions)
            {
                w.Text(v.Version);
                w.Bytes(v.AttributeBytes);
                w.Bytes(v.Payload);
                w.Bytes(v.TokenTag);
            }
        }

        if (w.Position != size)
        {
            throw new InvalidOperationException("Bundle size mismatch.");
        }

        return buffer;

        static int Text(string? text) => 4 + (text is null ? 0 : Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>Decodes and checks a bundle (which its encryption has authenticated).</summary>
    /// <exception cref="VaultIntegrityException">The bytes are not a bundle this library writes, or break a rule of stored objects.</exception>
    public static List<BundledObject> Decode(ReadOnlySpan<byte> bytes)
    {
        var objects = new List<BundledObject>();
        try
        {
            var r = new Reader(bytes);
            if (!r.Raw(4).SequenceEqual("KVOB"u8) || r.Byte() != Format)
            {
                throw Invalid("it is not an object bundle of format 1");
            }

            var count = r.Int();
            if (count < 0 || count > r.Remaining)
            {
                throw Invalid("its object count is out of range");
            }

            for (var i = 0; i < count; i++)
            {
                var type = (ObjectType)r.Byte();
                if (!Enum.IsDefined(type))
                {
                    throw Invalid("it holds an object of an unknown type");
                }

                var name = r.Text() ?? throw Invalid("an object has no name");
                CheckName(type, name);
                var created = r.Long();
                var deleted = r.Long();
                var purge = r.Long();
                var policy = r.Text();
                var managedBy = r.Text();
                if (managedBy is not null and not ObjectLifecycle.ManagedByCertificate)
                {
                    throw Invalid("an object names an unknown manager");
                }

                var record = new ObjectRecord(type, name, created, deleted < 0 ? null : deleted, purge < 0 ? null : purge, policy, managedBy);
                var versionCount = r.Int();
                if (versionCount < 1 || versionCount > r.Remaining)
                {
                    throw Invalid($"{type.DisplayName().ToLowerInvariant()} '{name}' has no versions or a count out of range");
                }

                var versions = new List<BundledVersion>(versionCount);
                var obj = new BundledObject(record, versions);
                objects.Add(obj);
                var ids = new HashSet<string>(StringComparer.Ordinal);
                var sequences = new HashSet<long>();
                for (var v = 0; v < versionCount; v++)
                {
                    var version = r.Text() ?? throw Invalid("a version has no id");
                    if (version.Length != ObjectRules.VersionLength || !version.All(char.IsAsciiHexDigit) || version != version.ToLowerInvariant() || !ids.Add(version))
                    {
                        throw Invalid($"{type.DisplayName().ToLowerInvariant()} '{name}' has a malformed or repeated version id");
                    }

                    var attributeBytes = r.Bytes().ToArray();
                    var attributes = ParseAttributes(attributeBytes);
                    if (attributes.Sequence < 1 || !sequences.Add(attributes.Sequence))
                    {
                        throw Invalid($"{type.DisplayName().ToLowerInvariant()} '{name}' has a version with a missing or repeated sequence number");
                    }

                    var payloadSpan = r.Bytes();
                    var payload = GC.AllocateUninitializedArray<byte>(payloadSpan.Length, pinned: true);
                    payloadSpan.CopyTo(payload);
                    var tag = r.Bytes().ToArray();
                    versions.Add(new BundledVersion(version, attributeBytes, attributes, payload, tag));
                    if ((attributes.Key?.HsmReference is null) != (tag.Length == 0))
                    {
                        throw Invalid($"{type.DisplayName().ToLowerInvariant()} '{name}' has a token key without its tag, or a tag without a token key");
                    }
                }

                versions.Sort((a, b) => a.Attributes.Sequence.CompareTo(b.Attributes.Sequence));
            }

            if (r.Remaining != 0)
            {
                throw Invalid("bytes follow its last object");
            }

            return objects;
        }
        catch
        {
            foreach (var obj in objects)
            {
                obj.Dispose();
            }

            throw;
        }
    }

    private static void CheckName(ObjectType type, string name)
    {
        try
        {
            ObjectRules.ValidateName(type, name);
        }
        catch (VaultException)
        {
            throw Invalid("an object's name breaks the naming rules");
        }
    }

    private static RecordAttributes ParseAttributes(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, RecordJsonContext.Default.RecordAttributes) ?? throw Invalid("a version has no attributes");
        }
        catch (JsonException)
        {
            throw Invalid("a version's attributes do not parse");
        }
    }

    internal static VaultIntegrityException Invalid(string detail) => new($"The backup's content is invalid: {detail}.");

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }

        public void Byte(byte value) => _buffer[Position++] = value;

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buffer[Position..], value);
            Position += 4;
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer[Position..], value);
            Position += 8;
        }

        public void Text(string? text)
        {
            if (text is null)
            {
                Int(-1);
                return;
            }

            var length = Encoding.UTF8.GetBytes(text, _buffer[(Position + 4)..]);
            Int(length);
            Position += length;
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Int(bytes.Length);
            Raw(bytes);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly int Remaining => _bytes.Length - _position;

        public ReadOnlySpan<byte> Raw(int length)
        {
            if (length < 0 || length > Remaining)
            {
                throw Invalid("it ends early");
            }

            var slice = _bytes.Slice(_position, length);
            _position += length;
            return slice;
        }

        public byte Byte() => Raw(1)[0];

        public int Int() => BinaryPrimitives.ReadInt32BigEndian(Raw(4));

        public long Long() => BinaryPrimitives.ReadInt64BigEndian(Raw(8));

        public string? Text()
        {
            var length = Int();
            if (length == -1)
            {
                return null;
            }

            try
            {
                return StrictUtf8.GetString(Raw(length));
            }
            catch (DecoderFallbackException)
            {
                throw Invalid("a text is not UTF-8");
            }
        }

        public ReadOnlySpan<byte> Bytes() => Raw(Int());
    }
}
