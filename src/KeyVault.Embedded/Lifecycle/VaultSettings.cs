using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Records;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// Small named settings (certificate contacts, certificate issuers, expiry markers): read through the verified reader,
/// written in a transaction, whole.
/// </summary>
internal sealed class VaultSettings
{
    private readonly VaultCore? _core;
    private readonly Integrity.RecordReader _reader;

    public VaultSettings(VaultCore core)
    {
        _core = core;
        _reader = core.Reader;
    }

    /// <summary>Settings as another reader sees them (a manifest being caught up to, before it is the vault's).</summary>
    public VaultSettings(Integrity.RecordReader reader)
    {
        _reader = reader;
    }

    public async ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        _core?.ThrowIfDisposed();
        return (await _reader.SettingAsync(name, cancellationToken).ConfigureAwait(false))?.Value;
    }

    public async ValueTask<IReadOnlyList<(string Name, string Value)>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        _core?.ThrowIfDisposed();
        return (await _reader.SettingsAsync(prefix, cancellationToken).ConfigureAwait(false)).Select(s => (s.Name, s.Value)).ToList();
    }

    public static void Put(VaultTransaction tx, string name, string value) => tx.Put(new SettingRecord(name, value));

    public static void Delete(VaultTransaction tx, string name) => tx.DeleteSetting(name);
}
