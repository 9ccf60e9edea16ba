using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Benchmarks.Backup;

/// <summary>Fills a vault quickly: many secrets per transaction through the vault's own write path (not one fsync each).</summary>
internal static class BackupSeed
{
    public static async Task SecretsAsync(EmbeddedVault vault, string prefix, int count, int versions = 1, int valueBytes = 100)
    {
        var value = new byte[valueBytes];
        System.Security.Cryptography.RandomNumberGenerator.Fill(value);
        for (var v = 0; v < versions; v++)
        {
            for (var first = 0; first < count; first += 1000)
            {
                var batch = Enumerable.Range(first, Math.Min(1000, count - first)).ToList();
                await vault.Core.Writer.WriteAsync(async tx =>
                {
                    foreach (var i in batch)
                    {
                        await vault.Lifecycle.CreateVersionsAsync(tx, [new VersionWrite(ObjectType.Secret, $"{prefix}{i}", new RecordAttributes(), value)], null, ObjectAccess.Direct);
                    }

                    return true;
                });
            }
        }
    }

    /// <summary>Deletes and purges secrets, many per transaction.</summary>
    public static async Task PurgeSecretsAsync(EmbeddedVault vault, string prefix, int count)
    {
        for (var first = 0; first < count; first += 1000)
        {
            var batch = Enumerable.Range(first, Math.Min(1000, count - first)).ToList();
            await vault.Core.Writer.WriteAsync(async tx =>
            {
                foreach (var i in batch)
                {
                    await vault.Lifecycle.DeleteAsync(tx, ObjectType.Secret, $"{prefix}{i}", ObjectAccess.Direct, []);
                }

                return true;
            });
            await vault.Core.Writer.WriteAsync(async tx =>
            {
                foreach (var i in batch)
                {
                    await vault.Lifecycle.PurgeAsync(tx, ObjectType.Secret, $"{prefix}{i}", ObjectAccess.Direct, []);
                }

                return true;
            });
        }
    }
}
