using System.Security.Cryptography;

namespace KeyVault.Embedded.KeyHierarchy;

/// <summary>Secret bytes in pinned memory, owned by this object and zeroed when it is disposed.</summary>
internal sealed class PinnedSecret : IDisposable
{
    private readonly byte[] _bytes;

    /// <param name="bytes">A pinned array; ownership passes to this object.</param>
    public PinnedSecret(byte[] bytes)
    {
        _bytes = bytes;
    }

    public ReadOnlySpan<byte> Span => _bytes;

    public int Length => _bytes.Length;

    public static PinnedSecret CopyOf(ReadOnlySpan<byte> bytes) => new(KeyMaterial.PinnedCopy(bytes));

    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}
