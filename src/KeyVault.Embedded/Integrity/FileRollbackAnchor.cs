using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// A rollback anchor in a file of its own, at a path the user names: somewhere an attacker who can write the vault's
/// folder cannot (another volume, a host path mounted read-write only into this service). Replaced atomically: a
/// temporary file is written and fsynced, renamed over the anchor, and the directory fsynced.
/// </summary>
internal sealed class FileRollbackAnchor : IRollbackAnchor
{
    private readonly string _path;

    public FileRollbackAnchor(string path)
    {
        _path = Path.GetFullPath(path);
    }

    public string Description => $"anchor file '{_path}'";

    public byte[]? Read() => SecureFile.ReadAll(_path);

    public void Write(byte[] content)
    {
        var directory = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(directory);
        var temporary = _path + ".tmp";
        File.Delete(temporary);
        using (var file = SecureFile.CreateNew(temporary))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    public void Dispose()
    {
    }
}
