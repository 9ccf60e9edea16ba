namespace KeyVault.Embedded.Storage;

/// <summary>Opens the record store a vault lives in when it is not the LiteDB file (a database, from its package).</summary>
internal abstract class RecordStoreProvider
{
    /// <summary>Where the records are, for messages (a server, database, schema and vault name). Never a credential.</summary>
    public abstract string Location { get; }

    /// <summary>Opens the store (creating or migrating what it needs), ready for the vault to read or create in.</summary>
    /// <exception cref="VaultException"><c>StorageUnavailable</c> when it cannot be reached.</exception>
    public abstract ValueTask<IRecordStore> OpenAsync(CancellationToken cancellationToken);
}
