using System.IO.Compression;
using System.Text;
using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;
using LiteDB;

namespace KeyVault.Embedded.Tests.Integrity;

/// <summary>
/// Attacks on the real files found by a review (an attacker who can write the vault's folder, not the anchor's),
/// each named after what it tried. Edits go through LiteDB itself, then the log is emptied and the page checksums
/// removed, as someone who knows the format would, so that they reach the layers beneath.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileAttackTests : IDisposable
{
    private static readonly byte[] FixtureKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _elsewhere = new();

    private string VaultPath => _dir.File("vault.db");

    private string AnchorPath => _elsewhere.File("vault.anchor");

    public void Dispose()
    {
        _dir.Dispose();
        _elsewhere.Dispose();
    }

    [Fact]
    public async Task Putting_back_the_format_1_copy_of_an_upgraded_anchored_vault_is_refused_as_a_rollback()
    {
        UnpackFormatOne();
        var copy = _elsewhere.File("format1-copy");
        Copy(_dir.Path, copy);
        await using (var vault = await OpenFixtureAsync())
        {
            await vault.Secrets.SetSecretAsync("db-password", "rotated-after-compromise");
        }

        var anchor = File.ReadAllBytes(AnchorPath);
        foreach (var file in Directory.GetFiles(_dir.Path))
        {
            File.Delete(file);
        }

        Copy(copy, _dir.Path);
        var before = Files.Snapshot(_dir.Path);

        (await FluentActions.Awaiting(() => OpenFixtureAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        File.ReadAllBytes(AnchorPath).Should().Equal(anchor, "the anchor is never moved back");
        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before, "the copy is not upgraded");
    }

    [Fact]
    public async Task A_format_1_file_with_a_record_planted_where_the_upgrade_writes_is_an_integrity_error_and_unchanged()
    {
        UnpackFormatOne();
        RawEdit(db => db.GetCollection("records").Insert(new BsonDocument { ["_id"] = 0x101L, ["k"] = "junk", ["v"] = new byte[] { 1 } }));
        var before = Files.Snapshot(_dir.Path);

        await FluentActions.Awaiting(() => OpenFixtureAsync(anchored: false)).Should().ThrowAsync<VaultIntegrityException>();

        Files.Snapshot(_dir.Path).Should().BeEquivalentTo(before);
    }

    [Theory]
    [InlineData("salt")]
    [InlineData("m")]
    public async Task A_passphrase_header_whose_Argon2id_parameter_is_nulled_is_an_integrity_error(string parameter)
    {
        var options = new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("correct horse battery") };
        await (await EmbeddedVault.OpenAsync(options)).DisposeAsync();
        RawEdit(db =>
        {
            var records = db.GetCollection("records");
            var header = records.FindById(1L);
            var value = header["v"].AsBinary;
            var json = Encoding.UTF8.GetString(value, 2, value.Length - 2);
            var edited = System.Text.RegularExpressions.Regex.Replace(json, "\"" + parameter + "\":\"[^\"]*\"", "\"" + parameter + "\":null");
            edited.Should().NotBe(json, "the parameter is in the header");
            header["v"] = new byte[] { value[0], value[1] }.Concat(Encoding.UTF8.GetBytes(edited)).ToArray();
            records.Update(header);
        });

        await FluentActions.Awaiting(() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = VaultPath, RootKey = SoftwareRootKey.FromPassphrase("correct horse battery") }))
            .Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task Records_planted_at_the_ids_of_future_commits_make_writes_an_integrity_error_not_a_conflict()
    {
        var key = TestVaults.NewKey();
        await using (var vault = await TestVaults.OpenAsync(VaultPath, key))
        {
            await vault.Secrets.SetSecretAsync("s1", "one");
        }

        RawEdit(db =>
        {
            var records = db.GetCollection("records");
            for (long generation = 1; generation < 64; generation++)
            {
                var id = (1L << 40) + (generation << 20);
                if (records.FindById(id) is null)
                {
                    records.Insert(new BsonDocument { ["_id"] = id, ["k"] = "junk", ["v"] = new byte[] { 1 } });
                }
            }
        });

        await using var reopened = await TestVaults.OpenAsync(VaultPath, key);
        (await reopened.Secrets.GetSecretAsync("s1")).Value.Should().Be("one", "the planted records are not the vault's");
        await FluentActions.Awaiting(() => reopened.Secrets.SetSecretAsync("s2", "two")).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task A_fifo_planted_in_place_of_the_page_checksums_is_refused_without_hanging()
    {
        var key = TestVaults.NewKey();
        await using (var vault = await TestVaults.OpenAsync(VaultPath, key))
        {
            await vault.Secrets.SetSecretAsync("s1", "one");
        }

        var sidecar = DataFileStream.ChecksumPath(Path.GetFullPath(VaultPath));
        File.Delete(sidecar);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "600", sidecar]))
        {
            mkfifo.WaitForExit();
            mkfifo.ExitCode.Should().Be(0);
        }

        // No writer ever opens the FIFO: an open that waited for one would never return (the test host's timeout).
        var error = (await FluentActions.Awaiting(() => TestVaults.OpenAsync(VaultPath, key)).Should().ThrowAsync<VaultException>()).Which;
        error.ErrorCode.Should().Be(VaultErrorCode.InsecureFile);
        error.Message.Should().Contain("not a regular file");
    }

    private void RawEdit(Action<LiteDatabase> edit)
    {
        using (var db = new LiteDatabase($"Filename={VaultPath};Connection=direct"))
        {
            edit(db);
            db.Checkpoint();
        }

        Files.WriteOwnerOnly(Files.LogOf(VaultPath), []);
        File.Delete(DataFileStream.ChecksumPath(Path.GetFullPath(VaultPath)));
        Files.MakeOwnerOnly(VaultPath);
    }

    private void UnpackFormatOne()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format1-clean");
        foreach (var name in new[] { "vault.db", "vault-log.db" })
        {
            using var gz = new GZipStream(File.OpenRead(Path.Combine(source, name + ".gz")), CompressionMode.Decompress);
            var target = _dir.File(name);
            using (var file = File.Create(target))
            {
                gz.CopyTo(file);
            }

            Files.MakeOwnerOnly(target);
        }
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private Task<EmbeddedVault> OpenFixtureAsync(bool anchored = true) =>
        TestVaults.OpenAsync(VaultPath, FixtureKey, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero)), o => o.AnchorPath = anchored ? AnchorPath : null);
}
