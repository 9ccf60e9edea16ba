using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Opens a vault whose data and log streams are <see cref="RecordingVaultFileStream"/>s.</summary>
internal sealed class RecordingFiles
{
    private readonly List<RecordingVaultFileStream> _opened = [];

    public RecordingVaultFileStream Data => _opened[^2];

    public RecordingVaultFileStream Log => _opened[^1];

    /// <summary>Opens (creating) a vault at <paramref name="path"/> with a random key, on recording streams.</summary>
    public Task<EmbeddedVault> OpenVaultAsync(string path)
    {
        var options = TestVaults.Options(path, TestVaults.NewKey());
        options.StoreFactory = Open;
        return EmbeddedVault.OpenAsync(options);
    }

    public IRecordStore Open(string path) => LiteDbRecordStore.Open(path, (file, name, writable) =>
    {
        var stream = new RecordingVaultFileStream(file, name, writable);
        _opened.Add(stream);
        return stream;
    });
}
