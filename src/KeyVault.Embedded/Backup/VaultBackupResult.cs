namespace KeyVault.Embedded;

/// <summary>What <see cref="EmbeddedVault.BackupAsync(string, IProgress{VaultProgress}?, CancellationToken)"/> wrote.</summary>
/// <param name="VaultId">The vault's id.</param>
/// <param name="Generation">The vault's commit the backup shows: exactly the writes acknowledged up to it.</param>
/// <param name="RecordCount">How many stored records the backup holds.</param>
/// <param name="Bytes">The backup's length in bytes.</param>
/// <param name="LongestWriterWait">The longest any write waited for the backup while it ran.</param>
public sealed record VaultBackupResult(Guid VaultId, long Generation, long RecordCount, long Bytes, TimeSpan LongestWriterWait);
