using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Byte-level looks at a vault's files.</summary>
public static class Files
{
    public static string LogOf(string vaultPath) => LiteDbRecordStore.LogPath(Path.GetFullPath(vaultPath));

    /// <summary>Every file in the vault's folder (data, log and anything else the vault may have written).</summary>
    public static IReadOnlyDictionary<string, byte[]> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => f, File.ReadAllBytes);

    public static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
