namespace KeyVault.Embedded;

/// <summary>How far a long vault operation has got (re-sealing under a new key-encryption key, later backups and restores).</summary>
public sealed class VaultProgress
{
    /// <summary>The <see cref="Operation"/> of a key-encryption key rotation's re-seal.</summary>
    public const string RotateKeyEncryptionKey = nameof(RotateKeyEncryptionKey);

    /// <summary>Creates a progress report.</summary>
    /// <param name="operation">Which operation reports.</param>
    /// <param name="completed">Items done so far.</param>
    /// <param name="total">Items in all (as known when the operation started).</param>
    /// <param name="bytes">Bytes processed so far, where the operation counts them.</param>
    public VaultProgress(string operation, long completed, long total, long bytes = 0)
    {
        Operation = operation;
        Completed = completed;
        Total = total;
        Bytes = bytes;
    }

    /// <summary>Which operation reports, for example <see cref="RotateKeyEncryptionKey"/>.</summary>
    public string Operation { get; }

    /// <summary>Items done so far.</summary>
    public long Completed { get; }

    /// <summary>Items in all.</summary>
    public long Total { get; }

    /// <summary>Bytes processed so far (0 when the operation does not count them).</summary>
    public long Bytes { get; }

    /// <summary>Operation and counts.</summary>
    public override string ToString() => $"{Operation}: {Completed} of {Total}";
}
