using KeyVault.Embedded.Operations;
using KeyVault.Embedded.Storage;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>Small named settings (certificate contacts, certificate issuers): read and written whole, authenticated.</summary>
internal sealed class VaultSettings
{
    private readonly VaultCore _core;

    public VaultSettings(VaultCore core)
    {
        _core = core;
    }

    public string? Get(string key)
    {
        lock (_core.Sync)
        {
            _core.ThrowIfDisposed();
            var record = _core.Store.ReadSetting(key);
            if (record is null)
            {
                return null;
            }

            _core.Authenticator.Verify(record);
            return record.Value;
        }
    }

    public IReadOnlyList<(string Key, string Value)> List(string keyPrefix)
    {
        lock (_core.Sync)
        {
            _core.ThrowIfDisposed();
            var records = _core.Store.ReadSettings(keyPrefix);
            foreach (var record in records)
            {
                _core.Authenticator.Verify(record);
            }

            return records.Select(r => (r.Key, r.Value)).ToList();
        }
    }

    public void Put(string key, string value)
    {
        lock (_core.Sync)
        {
            var batch = new WriteBatch();
            batch.Settings.Add(_core.Authenticator.Seal(new SettingRecord(key, value)));
            _core.Apply(batch);
        }
    }

    public void Delete(string key)
    {
        lock (_core.Sync)
        {
            var batch = new WriteBatch();
            batch.DeletedSettings.Add(key);
            _core.Apply(batch);
        }
    }
}
