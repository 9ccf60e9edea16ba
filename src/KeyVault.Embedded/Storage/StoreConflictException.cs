namespace KeyVault.Embedded.Storage;

/// <summary>A commit's precondition failed: another writer committed first, or an insert-only record exists. Nothing was written.</summary>
internal sealed class StoreConflictException(string message) : Exception(message);
