using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Backup;

/// <summary>
/// The portable export: objects (the whole vault's or chosen ones) sealed under a key of their own instead of the
/// vault's root, typically a passphrase through Argon2id (<see cref="SoftwareRootKey.FromPassphrase(ReadOnlySpan{char}, int, int, int)"/>),
/// to move them to a vault under another root or keep them offline. An import applies the per-object rules: every
/// name must be free, and it is all or nothing.
/// </summary>
/// <remarks>
/// <code>
/// file   = header | chunk × n
/// header = "KVPX" | format (1) = 1 | 0 (3) | export id (16) | source vault id (16) | created, Unix s (8) | objects chosen (4)
///          | key kind (1 + ASCII) | parameter count (1) | (name (1 + ASCII) | value (2 + UTF-8)) × count | root check (16)
/// chunk  = flags (1; 1 = last) | length (4) | seal (BackupKey) of a bundle of objects
/// </code>
/// A chunk's seal is bound to <c>SHA-256(header) | chunk index (8) | flags</c>, so chunks cannot be reordered,
/// dropped, replayed from another export, or the export cut short without the import noticing. The key's parameters
/// (for a passphrase: salt and Argon2id cost) are in the header; the key check tells a wrong passphrase from a damaged file.
/// </remarks>
internal sealed class PortableExport
{
    private const byte Format = 1;
    private const int ObjectsPerChunk = 128;
    private const int MaxChunk = 64 * 1024 * 1024;
    private readonly VaultCore _core;
    private readonly ObjectBackups _backups;

    public PortableExport(VaultCore core, ObjectLifecycle lifecycle)
    {
        _core = core;
        _backups = new ObjectBackups(core, lifecycle);
    }

    public async Task<VaultTransferResult> ExportAsync(Stream destination, IRootKeyProvider exportKey, VaultExportOptions options, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        var groups = Select(options);
        var exportId = Guid.NewGuid();
        using var vaultKey = await BackupKey.FromRootAsync(_core.Root, cancellationToken).ConfigureAwait(false);
        using var root = await exportKey.OpenAsync(new RootKeyContext(exportId, null), cancellationToken).ConfigureAwait(false);
        using var key = await BackupKey.FromRootAsync(root, cancellationToken).ConfigureAwait(false);
        var header = Header(exportId, _core.Header.VaultId, _core.Now(), exportKey.Kind, root.Parameters, key.RootCheck(), groups.Count);
        var headerHash = SHA256.HashData(header);
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        long bytes = header.Length;
        long versions = 0;
        var objects = 0;
        var chunk = 0L;
        var batches = Batches(groups).ToList();
        if (batches.Count == 0)
        {
            batches.Add([]);
        }

        for (var b = 0; b < batches.Count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = await ReadAsync(batches[b], options.IncludeDeleted || !options.Whole, !options.Whole, vaultKey, cancellationToken).ConfigureAwait(false);
            try
            {
                var plaintext = ObjectBundle.Encode(read);
                try
                {
                    var flags = (byte)(b == batches.Count - 1 ? 1 : 0);
                    var sealedBytes = key.Seal(Associated(headerHash, chunk++, flags), plaintext);
                    var prefix = new byte[5];
                    prefix[0] = flags;
                    BinaryPrimitives.WriteInt32BigEndian(prefix.AsSpan(1), sealedBytes.Length);
                    await destination.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
                    await destination.WriteAsync(sealedBytes, cancellationToken).ConfigureAwait(false);
                    bytes += prefix.Length + sealedBytes.Length;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }

                objects += read.Count;
                versions += read.Sum(o => o.Versions.Count);
            }
            finally
            {
                read.ForEach(o => o.Dispose());
            }

            progress?.Report(new VaultProgress(VaultProgress.Export, Math.Min((b + 1) * ObjectsPerChunk, groups.Count), groups.Count, bytes));
        }

        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new VaultTransferResult(objects, versions, bytes);
    }

    public async Task<VaultTransferResult> ImportAsync(Stream source, IRootKeyProvider exportKey, IProgress<VaultProgress>? progress, CancellationToken cancellationToken)
    {
        var (header, exportId, kind, parameters, check, selected) = await ReadHeaderAsync(source, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(kind, exportKey.Kind, StringComparison.Ordinal))
        {
            throw VaultErrors.RootKeyMismatch($"the export is sealed under a key of kind '{kind}' and the key given is of kind '{exportKey.Kind}'");
        }

        if (exportKey is SoftwareRootKey software && software.ExceedsCost(parameters))
        {
            // The cost is read before anything can be checked: a crafted header must not make every import attempt
            // spend gigabytes. The key given sets the most it may ask for.
            throw VaultErrors.BadParameter("The export asks for a greater Argon2id cost (memory, passes or lanes) than the passphrase key given allows, or its cost is malformed: create the key with at least the export's cost.");
        }

        var objects = new List<BundledObject>();
        try
        {
            using (var root = await exportKey.OpenAsync(new RootKeyContext(exportId, parameters), cancellationToken).ConfigureAwait(false))
            using (var key = await BackupKey.FromRootAsync(root, cancellationToken).ConfigureAwait(false))
            {
                if (!key.Matches(check))
                {
                    throw VaultErrors.RootKeyMismatch("the export was sealed under another key (a wrong passphrase or key file)");
                }

                var headerHash = SHA256.HashData(header);
                long bytes = header.Length;
                for (long chunk = 0; ; chunk++)
                {
                    var prefix = await ReadExactlyAsync(source, 5, cancellationToken).ConfigureAwait(false) ?? throw Damaged("it ends before its last chunk (cut short)");
                    var flags = prefix[0];
                    var length = BinaryPrimitives.ReadInt32BigEndian(prefix.AsSpan(1));
                    if (flags > 1 || length < BackupKey.Overhead || length > MaxChunk)
                    {
                        throw Damaged("a chunk is malformed");
                    }

                    var sealedBytes = await ReadExactlyAsync(source, length, cancellationToken).ConfigureAwait(false) ?? throw Damaged("it ends inside a chunk (cut short)");
                    objects.AddRange(ObjectBackups.Decode(key, Associated(headerHash, chunk, flags), sealedBytes));
                    bytes += 5 + length;
                    progress?.Report(new VaultProgress(VaultProgress.Import, objects.Count, selected, bytes));
                    if (flags == 1)
                    {
                        break;
                    }
                }

                if (await ReadExactlyAsync(source, 1, cancellationToken).ConfigureAwait(false) is not null)
                {
                    throw Damaged("bytes follow its last chunk");
                }

                CheckGroups(objects);
                using (var vaultKey = await BackupKey.FromRootAsync(_core.Root, cancellationToken).ConfigureAwait(false))
                {
                    _backups.CheckTokenKeys(objects, vaultKey);
                }

                cancellationToken.ThrowIfCancellationRequested();
                await _core.Writer.WriteAsync(tx =>
                {
                    foreach (var obj in objects)
                    {
                        ObjectBackups.CheckFree(tx, obj.Record);
                    }

                    foreach (var obj in objects)
                    {
                        _backups.Write(tx, obj);
                    }

                    tx.AfterCommit(() =>
                    {
                        foreach (var obj in objects.Where(o => !o.Record.IsDeleted))
                        {
                            _core.Events.Raise(Events.VaultEventType.NewVersion, obj.Record.Type, obj.Record.Name, obj.Versions[^1].Version);
                        }
                    });
                    return ValueTask.FromResult(true);
                }, WriteMode.Alone, cancellationToken).ConfigureAwait(false);
                return new VaultTransferResult(objects.Count, objects.Sum(o => (long)o.Versions.Count), bytes);
            }
        }
        finally
        {
            objects.ForEach(o => o.Dispose());
        }
    }

    /// <summary>The objects to export, in groups that travel together (a certificate with its parts).</summary>
    private List<List<(ObjectType Type, string Name)>> Select(VaultExportOptions options)
    {
        var groups = new List<List<(ObjectType, string)>>();
        var manifest = _core.Manifest;
        if (options.Whole)
        {
            foreach (var type in new[] { ObjectType.Secret, ObjectType.Key })
            {
                groups.AddRange(manifest.Objects(type).Select(i => new List<(ObjectType, string)> { (type, i.Name) }));
            }

            var certificates = manifest.Objects(ObjectType.Certificate).Select(i => i.Name)
                .Concat(manifest.Objects(ObjectType.CertificateOperation).Select(i => i.Name)).Distinct(StringComparer.Ordinal);
            groups.AddRange(certificates.Select(name => new List<(ObjectType, string)> { (ObjectType.Certificate, name) }));
        }
        else
        {
            foreach (var (type, names) in new[] { (ObjectType.Secret, options.SecretNames), (ObjectType.Key, options.KeyNames), (ObjectType.Certificate, options.CertificateNames) })
            {
                foreach (var name in names ?? [])
                {
                    ObjectRules.ValidateName(type, name);
                    if (!manifest.TryGetObject(type, name, out _))
                    {
                        throw VaultErrors.NotFound(type, name);
                    }

                    groups.Add([(type, name)]);
                }
            }
        }

        return groups;
    }

    private static IEnumerable<List<(ObjectType Type, string Name)>> Batches(List<List<(ObjectType, string)>> groups)
    {
        var batch = new List<(ObjectType, string)>();
        foreach (var group in groups)
        {
            batch.AddRange(group);
            if (batch.Count >= ObjectsPerChunk)
            {
                yield return batch;
                batch = [];
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>Reads one batch under the write lock (a certificate and its parts at one commit; writers wait one batch at most).</summary>
    /// <param name="batch">The groups' primary objects.</param>
    /// <param name="includeDeleted">Whether a deleted object (with its parts) comes along.</param>
    /// <param name="named">Whether the objects were named by the caller: then each must be active and not managed.</param>
    /// <param name="cancellationToken">Cancels before the batch is read.</param>
    /// <param name="vaultKey">The vault root's backup key, which tags HSM key versions.</param>
    private ValueTask<List<BundledObject>> ReadAsync(List<(ObjectType Type, string Name)> batch, bool includeDeleted, bool named, BackupKey vaultKey, CancellationToken cancellationToken) =>
        _core.Writer.WriteAsync(async tx =>
        {
            var read = new List<BundledObject>();
            try
            {
                foreach (var (type, name) in batch)
                {
                    var types = type == ObjectType.Certificate ? new[] { ObjectType.Certificate, ObjectType.Key, ObjectType.Secret, ObjectType.CertificateOperation } : [type];

                    // A certificate whose only version is pending is its operation: that record says whether it is deleted.
                    var primary = type == ObjectType.Certificate && tx.Index(ObjectType.Certificate, name) is null ? ObjectType.CertificateOperation : type;
                    foreach (var part in types)
                    {
                        if (tx.Index(part, name) is not { } index)
                        {
                            continue;
                        }

                        var record = await tx.ObjectAsync(index, cancellationToken).ConfigureAwait(false);
                        if (part == primary && named && (record.IsDeleted || record.ManagedBy is not null))
                        {
                            throw record.IsDeleted ? VaultErrors.NotFound(type, name) : VaultErrors.ManagedByCertificate(type, record.Name);
                        }

                        if (part == primary && ((type != ObjectType.Certificate && record.ManagedBy is not null) || (record.IsDeleted && !includeDeleted)))
                        {
                            break; // a certificate's key or secret travels with its certificate; a deleted object stays when asked
                        }

                        if (type == ObjectType.Certificate && part is ObjectType.Key or ObjectType.Secret && record.ManagedBy is null)
                        {
                            continue; // a plain key or secret of the name is an object of its own, exported as such
                        }

                        read.Add(await _backups.ReadAsync(tx, index, record, vaultKey, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            catch
            {
                read.ForEach(o => o.Dispose());
                throw;
            }

            return read;
        }, cancellationToken);

    /// <summary>
    /// What the vault itself could hold: no object twice; a certificate's managed key and secret only with their
    /// certificate, and a certificate only with both (a pending operation may stand alone: a first creation waiting for
    /// its merge).
    /// </summary>
    private static void CheckGroups(List<BundledObject> objects)
    {
        var seen = new HashSet<(ObjectType, string)>();
        foreach (var obj in objects)
        {
            if (!seen.Add((obj.Record.Type, obj.Record.NormalizedName)))
            {
                throw ObjectBundle.Invalid("it holds an object twice");
            }
        }

        bool Managed(ObjectType type, string name) =>
            objects.Any(o => o.Record.Type == type && o.Record.NormalizedName == name && o.Record.ManagedBy == ObjectLifecycle.ManagedByCertificate);

        foreach (var obj in objects)
        {
            var record = obj.Record;
            if (record.ManagedBy is not null && (record.Type is not (ObjectType.Key or ObjectType.Secret) || !seen.Contains((ObjectType.Certificate, record.NormalizedName))))
            {
                throw ObjectBundle.Invalid("it holds a certificate's key or secret without the certificate");
            }

            if (record.Type == ObjectType.Certificate && (!Managed(ObjectType.Key, record.NormalizedName) || !Managed(ObjectType.Secret, record.NormalizedName)))
            {
                throw ObjectBundle.Invalid("it holds a certificate without its key and secret");
            }

            if (record.Type == ObjectType.CertificateOperation && record.ManagedBy is not null)
            {
                throw ObjectBundle.Invalid("it holds a pending certificate operation marked as managed");
            }
        }
    }

    private static byte[] Header(Guid exportId, Guid vaultId, long created, string kind, IReadOnlyDictionary<string, string> parameters, byte[] check, int count)
    {
        using var buffer = new MemoryStream();
        buffer.Write("KVPX"u8);
        buffer.Write([Format, 0, 0, 0]);
        buffer.Write(exportId.ToByteArray());
        buffer.Write(vaultId.ToByteArray());
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, created);
        buffer.Write(number);
        BinaryPrimitives.WriteInt32BigEndian(number, count);
        buffer.Write(number[..4]);
        WriteShort(buffer, Encoding.ASCII.GetBytes(kind));
        buffer.WriteByte(checked((byte)parameters.Count));
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteShort(buffer, Encoding.ASCII.GetBytes(name));
            var bytes = Encoding.UTF8.GetBytes(value);
            BinaryPrimitives.WriteUInt16BigEndian(number, checked((ushort)bytes.Length));
            buffer.Write(number[..2]);
            buffer.Write(bytes);
        }

        buffer.Write(check);
        return buffer.ToArray();

        static void WriteShort(Stream stream, byte[] bytes)
        {
            stream.WriteByte(checked((byte)bytes.Length));
            stream.Write(bytes);
        }
    }

    private static async ValueTask<(byte[] Header, Guid ExportId, string Kind, Dictionary<string, string> Parameters, byte[] Check, int Count)> ReadHeaderAsync(Stream source, CancellationToken cancellationToken)
    {
        var header = new List<byte>();
        async ValueTask<byte[]> Take(int length)
        {
            var bytes = await ReadExactlyAsync(source, length, cancellationToken).ConfigureAwait(false)
                ?? throw (header.Count == 0 ? VaultErrors.FormatInvalid("export", "it is not a vault export") : Damaged("its header is cut short"));
            header.AddRange(bytes);
            return bytes;
        }

        byte[] fixedPart;
        try
        {
            fixedPart = await Take(52).ConfigureAwait(false);
        }
        catch (VaultIntegrityException)
        {
            throw VaultErrors.FormatInvalid("export", "it is not a vault export (too short)");
        }

        if (!fixedPart.AsSpan(0, 4).SequenceEqual("KVPX"u8))
        {
            throw VaultErrors.FormatInvalid("export", "it is not a vault export");
        }

        if (fixedPart[4] != Format || fixedPart[5] != 0 || fixedPart[6] != 0 || fixedPart[7] != 0)
        {
            throw VaultErrors.FormatInvalid("export", $"it is an export of format {fixedPart[4]}; this library reads format {Format}");
        }

        var exportId = new Guid(fixedPart.AsSpan(8, 16));
        var count = BinaryPrimitives.ReadInt32BigEndian(fixedPart.AsSpan(48));
        if (count < 0)
        {
            throw Damaged("its header is malformed");
        }

        var kind = Ascii(await Take((await Take(1).ConfigureAwait(false))[0]).ConfigureAwait(false));
        var parameterCount = (await Take(1).ConfigureAwait(false))[0];
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < parameterCount; i++)
        {
            var name = Ascii(await Take((await Take(1).ConfigureAwait(false))[0]).ConfigureAwait(false));
            var length = BinaryPrimitives.ReadUInt16BigEndian(await Take(2).ConfigureAwait(false));
            string value;
            try
            {
                value = new UTF8Encoding(false, true).GetString(await Take(length).ConfigureAwait(false));
            }
            catch (DecoderFallbackException)
            {
                throw Damaged("its header is malformed");
            }

            if (!parameters.TryAdd(name, value))
            {
                throw Damaged("its header is malformed");
            }
        }

        var check = await Take(BackupKey.RootCheckSize).ConfigureAwait(false);
        return ([.. header], exportId, kind, parameters, check, count);

        static string Ascii(byte[] bytes) => bytes.Length > 0 && bytes.All(b => b is >= 0x21 and <= 0x7E) ? Encoding.ASCII.GetString(bytes) : throw Damaged("its header is malformed");
    }

    private static byte[] Associated(byte[] headerHash, long chunk, byte flags)
    {
        var associated = new byte[32 + 8 + 1];
        headerHash.CopyTo(associated, 0);
        BinaryPrimitives.WriteInt64BigEndian(associated.AsSpan(32), chunk);
        associated[40] = flags;
        return associated;
    }

    private static ValueTask<byte[]?> ReadExactlyAsync(Stream source, int length, CancellationToken cancellationToken) =>
        BackupStream.ReadExactlyAsync(source, length, static () => Damaged("it is cut short"), cancellationToken);

    private static VaultIntegrityException Damaged(string detail) => new($"The vault export failed its integrity check: {detail}. It was altered, damaged or cut short; nothing was imported.");
}
