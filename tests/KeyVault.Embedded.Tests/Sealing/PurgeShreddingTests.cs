using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Sealing;

/// <summary>Purged data is gone from the files, not only unlinked: no sealed byte of a purged secret remains anywhere.</summary>
public sealed class PurgeShreddingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task After_purge_no_sealed_byte_of_the_secret_remains_in_any_vault_file()
    {
        SpyRecordStore spy = null!;
        var options = TestVaults.Options(_dir.File("vault.db"), TestVaults.NewKey());
        options.StoreFactory = path => spy = new SpyRecordStore(LiteDbRecordStore.Open(path));
        var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("kept", "kept-value");
        await vault.Secrets.SetSecretAsync("doomed", "v1");
        await vault.Secrets.SetSecretAsync("doomed", new string('x', 5000));
        await vault.Secrets.UpdateSecretPropertiesAsync(new SecretProperties("doomed") { ContentType = "resealed" });
        await vault.Secrets.SetSecretAsync("kept", "kept-value-2");
        await vault.Secrets.StartDeleteSecretAsync("doomed");

        var doomed = spy.Written.Where(s => s.Key.StartsWith("secrets/doomed/", StringComparison.Ordinal)).Select(s => Fingerprint(StoredRecords.Version(s.Value).Sealed)).ToList();
        var kept = StoredRecords.Version(spy.Written.Last(s => s.Key.StartsWith("secrets/kept/", StringComparison.Ordinal)).Value).Sealed;
        doomed.Should().HaveCount(3);
        var beforePurge = RawFile.Snapshot(_dir.Path).Values.ToList();
        doomed.Should().Contain(f => beforePurge.Any(file => Files.Contains(file, f)), "the check can see sealed bytes that are there");

        await vault.Secrets.PurgeDeletedSecretAsync("doomed");

        AssertGone(RawFile.Snapshot(_dir.Path).Values, doomed);
        RawFile.Snapshot(_dir.Path).Values.Should().Contain(file => Files.Contains(file, Fingerprint(kept)), "other records stay");
        (await vault.Secrets.GetSecretAsync("kept")).Value.Should().Be("kept-value-2");
        await vault.DisposeAsync();
        AssertGone(Files.Snapshot(_dir.Path).Values, doomed);
    }

    private static void AssertGone(IEnumerable<byte[]> files, IReadOnlyList<byte[]> fingerprints)
    {
        foreach (var file in files)
        {
            foreach (var fingerprint in fingerprints)
            {
                Files.Contains(file, fingerprint).Should().BeFalse("a purged record's bytes must not remain in any vault file");
            }
        }
    }

    // The salt and nonce: 44 random bytes unique to one sealing.
    private static byte[] Fingerprint(byte[] sealedRecord) => sealedRecord[7..51];
}
