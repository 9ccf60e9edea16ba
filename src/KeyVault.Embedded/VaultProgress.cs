namespace KeyVault.Embedded;

/// <summary>How far a long vault operation has got (re-sealing under a new key-encryption key, backups, verifications, restores, exports and imports).</summary>
public sealed class VaultProgress
{
    /// <summary>The <see cref="Operation"/> of a key-encryption key rotation's re-seal.</summary>
    public const string RotateKeyEncryptionKey = nameof(RotateKeyEncryptionKey);

    /// <summary>The <see cref="Operation"/> of a whole-vault backup (records written of records in the snapshot; bytes written).</summary>
    public const string Backup = nameof(Backup);

    /// <summary>The <see cref="Operation"/> of a backup's verification (bytes read, then versions checked).</summary>
    public const string VerifyBackup = nameof(VerifyBackup);

    /// <summary>The <see cref="Operation"/> of a restore (bytes read, then versions checked, before the new file is written).</summary>
    public const string Restore = nameof(Restore);

    /// <summary>The <see cref="Operation"/> of a portable export (objects written of objects chosen; bytes written).</summary>
    public const string Export = nameof(Export);

    /// <summary>The <see cref="Operation"/> of a portable import (objects read; bytes read).</summary>
    public const string Import = nameof(Import);

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
