using System.Text;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Sealing;

/// <summary>No plaintext at rest: not in anything the storage is handed, not in any byte written to any vault file.</summary>
public sealed class ConfidentialityTests : IDisposable
{
    private static readonly string[] DistinctiveValues =
    [
        "Confidential-Marker-7f3a9c",
        "Password=Hunter2-Zebra-Quokka;Server=db",
        "ünïcødé-Sëcrét-値-🔑",
        new string('Q', 20_000) + "-end-of-long-marker",
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task No_secret_value_or_root_key_appears_in_any_byte_written_to_any_vault_file()
    {
        var key = TestVaults.NewKey();
        var files = new RecordingFiles();
        var options = TestVaults.Options(_dir.File("vault.db"), key);
        options.StoreFactory = files.Open;
        var vault = await EmbeddedVault.OpenAsync(options);
        await ExerciseAsync(vault);
        var whileOpen = RawFile.Snapshot(_dir.Path);
        await vault.DisposeAsync();

        var written = new[] { files.Data.AllBytesWritten, files.Log.AllBytesWritten };
        written.Sum(w => w.Length).Should().BeGreaterThan(DistinctiveValues.Sum(v => v.Length), "the vault wrote its records");
        foreach (var bytes in written.Concat(whileOpen.Values).Concat(Files.Snapshot(_dir.Path).Values))
        {
            foreach (var needle in Needles())
            {
                Files.Contains(bytes, needle).Should().BeFalse();
            }

            Files.Contains(bytes, key).Should().BeFalse("the root key is never stored");
        }
    }

    [Fact]
    public async Task The_storage_seam_only_ever_receives_sealed_bytes()
    {
        var store = new InMemoryRecordStore();
        var options = TestVaults.Options(_dir.File("vault.db"), TestVaults.NewKey());
        options.StoreFactory = _ => store;
        await using var vault = await EmbeddedVault.OpenAsync(options);

        await ExerciseAsync(vault);

        store.Received.Should().NotBeEmpty();
        foreach (var bytes in store.Received)
        {
            foreach (var needle in Needles())
            {
                Files.Contains(bytes, needle).Should().BeFalse();
            }
        }
    }

    [Fact]
    public void The_test_would_see_a_value_if_it_were_stored_in_clear()
    {
        // Guards the two tests above: the needle search finds a value written in clear.
        var clear = Encoding.UTF8.GetBytes("prefix " + DistinctiveValues[1] + " suffix");
        Needles().Any(n => Files.Contains(clear, n)).Should().BeTrue();
    }

    private static async Task ExerciseAsync(EmbeddedVault vault)
    {
        for (var i = 0; i < DistinctiveValues.Length; i++)
        {
            await vault.Secrets.SetSecretAsync($"s{i}", DistinctiveValues[i]);
            await vault.Secrets.UpdateSecretPropertiesAsync(new SecretProperties($"s{i}") { ContentType = "text/plain" });
        }

        await vault.Secrets.StartDeleteSecretAsync("s0");
        await vault.Secrets.StartRecoverDeletedSecretAsync("s0");
        await vault.RotateKeyEncryptionKeyAsync();
        await vault.Secrets.SetSecretAsync("s1", DistinctiveValues[1]);
    }

    // Each value as UTF-8 and UTF-16, and a 16-byte slice from its middle (long values could be split across pages).
    private static IEnumerable<byte[]> Needles()
    {
        foreach (var value in DistinctiveValues)
        {
            foreach (var bytes in new[] { Encoding.UTF8.GetBytes(value), Encoding.Unicode.GetBytes(value) })
            {
                yield return bytes.Length > 64 ? bytes[(bytes.Length / 2)..((bytes.Length / 2) + 16)] : bytes;
            }
        }
    }
}
