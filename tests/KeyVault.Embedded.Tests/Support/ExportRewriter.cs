using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Backup;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>
/// What the holder of a portable export's key can do: open a one-chunk export, change its plaintext bundle, and seal it
/// again so that it is a well-formed export under the same key (the attacks on what an import trusts).
/// </summary>
internal static class ExportRewriter
{
    /// <summary>The export with its one chunk's plaintext bundle replaced by <paramref name="edit"/>'s result.</summary>
    public static async Task<byte[]> RewriteAsync(byte[] export, IRootKeyProvider exportKey, Func<byte[], byte[]> edit)
    {
        var (header, parameters) = Header(export);
        var p = header.Length;
        var flags = export[p];
        var sealedLength = BinaryPrimitives.ReadInt32BigEndian(export.AsSpan(p + 1));
        var associated = new byte[41];
        SHA256.HashData(header).CopyTo(associated, 0);
        associated[40] = flags;
        using var opened = await exportKey.OpenAsync(new RootKeyContext(new Guid(export.AsSpan(8, 16)), parameters));
        using var key = await BackupKey.FromRootAsync(opened, CancellationToken.None);
        var resealed = key.Seal(associated, edit(key.Open(associated, export.AsSpan(p + 5, sealedLength))));
        var prefix = new byte[5];
        prefix[0] = flags;
        BinaryPrimitives.WriteInt32BigEndian(prefix.AsSpan(1), resealed.Length);
        return [.. header, .. prefix, .. resealed];
    }

    /// <summary>The export's header bytes and the key parameters it carries.</summary>
    public static (byte[] Header, Dictionary<string, string> Parameters) Header(byte[] export)
    {
        var p = 52;
        p += 1 + export[p];
        var count = export[p++];
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.ASCII.GetString(export, p + 1, export[p]);
            p += 1 + export[p];
            var length = BinaryPrimitives.ReadUInt16BigEndian(export.AsSpan(p));
            parameters[name] = Encoding.UTF8.GetString(export, p + 2, length);
            p += 2 + length;
        }

        return (export[..(p + BackupKey.RootCheckSize)], parameters);
    }
}
