namespace KeyVault.Embedded.Storage;

/// <summary>A commit's precondition failed: another writer committed first, or an insert-only record exists. Nothing was written.</summary>
internal sealed class StoreConflictException(string message) : Exception(message)
{
    /// <summary>Whether the conflict cannot come from another writer (a single-owner store): the files were altered.</summary>
    public bool Tampered { get; init; }
}
