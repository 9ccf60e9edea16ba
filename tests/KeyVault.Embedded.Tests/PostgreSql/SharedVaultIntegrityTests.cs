using System.Text;
using KeyVault.Embedded.Records;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.PostgreSql;

/// <summary>
/// The database is not trusted (issue 15): an edited, deleted, replayed or injected row is an integrity error; a
/// database rolled back (a restored dump, a promoted replica missing commits) is refused for writes; its files hold no
/// plaintext.
/// </summary>
public sealed class SharedVaultIntegrityTests(PostgreSqlCluster cluster) : SharedVaultTestBase(cluster)
{
    private const string Records = "keyvault_embedded.records";

    [Fact]
    public async Task An_edited_row_is_an_integrity_error_never_other_data()
    {
        var a = await OpenInstanceAsync();
        var set = await a.Secrets.SetSecretAsync("db", "original-value");
        await Cluster.ExecuteAsync($"UPDATE {Records} SET value = overlay(value placing decode('00', 'hex') from length(value) - 20 for 1) WHERE {Row($"secrets/db/{set.Properties.Version}")}");

        var fresh = await OpenInstanceAsync();
        await FluentActions.Awaiting(() => fresh.Secrets.GetSecretAsync("db")).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task A_deleted_row_is_an_integrity_error_not_a_missing_secret()
    {
        var a = await OpenInstanceAsync();
        var set = await a.Secrets.SetSecretAsync("db", "v");
        await Cluster.ExecuteAsync($"DELETE FROM {Records} WHERE {Row($"secrets/db/{set.Properties.Version}")}");

        var fresh = await OpenInstanceAsync();
        await FluentActions.Awaiting(() => fresh.Secrets.GetSecretAsync("db")).Should().ThrowAsync<VaultIntegrityException>();
    }

    [Fact]
    public async Task An_older_copy_of_a_row_put_back_is_an_integrity_error()
    {
        var a = await OpenInstanceAsync();
        var set = await a.Secrets.SetSecretAsync("db", "v1");
        var version = $"secrets/db/{set.Properties.Version}";
        var old = "old_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {old} AS SELECT * FROM {Records} WHERE {Row(version)}");
        set.Properties.Enabled = false;
        await a.Secrets.UpdateSecretPropertiesAsync(set.Properties);
        await Cluster.ExecuteAsync($"UPDATE {Records} r SET value = o.value FROM {old} o WHERE r.vault = o.vault AND r.id = o.id");

        var fresh = await OpenInstanceAsync();
        await FluentActions.Awaiting(() => fresh.Secrets.GetSecretAsync("db")).Should().ThrowAsync<VaultIntegrityException>("the old copy says the version is enabled, and the manifest lists the disabled one");
    }

    [Fact]
    public async Task A_row_injected_where_the_next_commit_writes_makes_that_commit_an_integrity_error_that_changes_nothing()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("db", "v1");
        var generation = a.Core.Generation;
        var next = RecordIds.Record(generation + 1, 0);
        await Cluster.ExecuteAsync($"INSERT INTO {Records} (vault, id, key, value) VALUES ('{VaultName}', {next}, 'secrets/db/forged', decode('00', 'hex'))");

        await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("db", "v2")).Should().ThrowAsync<VaultIntegrityException>();
        (await Cluster.ScalarAsync<long>($"SELECT generation FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'")).Should().Be(generation, "nothing of the refused commit was written");
    }

    [Fact]
    public async Task A_generation_row_moved_forward_without_its_commit_fails_the_catch_up_and_the_view_stays()
    {
        var a = await OpenInstanceAsync();
        await a.Secrets.SetSecretAsync("db", "v1");
        await Cluster.ExecuteAsync($"UPDATE keyvault_embedded.vaults SET generation = generation + 1 WHERE vault = '{VaultName}'");

        await FluentActions.Awaiting(() => a.RefreshAsync()).Should().ThrowAsync<VaultIntegrityException>();
        (await a.Secrets.GetSecretAsync("db")).Value.Should().Be("v1", "the instance keeps the view it verified");
    }

    [Fact]
    public async Task A_database_restored_to_an_older_state_is_refused_for_writes_by_running_instances_and_by_an_anchored_one_reopening()
    {
        using var dir = new TempDirectory();
        var anchor = dir.File("instance.anchor");
        var a = await OpenInstanceAsync();
        var anchored = await OpenInstanceAsync(configure: o => o.AnchorPath = anchor);
        await a.Secrets.SetSecretAsync("db", "v1");
        var dump = "dump_" + VaultName.Replace('-', '_');
        await Cluster.ExecuteAsync($"CREATE TABLE {dump}_r AS SELECT * FROM {Records} WHERE vault = '{VaultName}'; CREATE TABLE {dump}_v AS SELECT * FROM keyvault_embedded.vaults WHERE vault = '{VaultName}'");
        await a.Secrets.SetSecretAsync("db", "v2");
        await a.Secrets.SetSecretAsync("other", "x");
        await anchored.RefreshAsync();
        var seen = a.Core.Generation;

        // The "restore": every row of the vault put back as it was at the dump.
        await Cluster.ExecuteAsync($"DELETE FROM {Records} WHERE vault = '{VaultName}'; INSERT INTO {Records} SELECT * FROM {dump}_r; "
            + $"UPDATE keyvault_embedded.vaults v SET generation = d.generation, root = d.root FROM {dump}_v d WHERE v.vault = d.vault");

        var refused = (await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("db", "v3")).Should().ThrowAsync<VaultException>()).Which;
        refused.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        refused.Message.Should().Contain($"generation {seen}");
        (await FluentActions.Awaiting(() => a.Secrets.SetSecretAsync("z", "z")).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected, "it stays refused");
        (await a.Secrets.GetSecretAsync("db")).Value.Should().Be("v2", "reads serve what the instance verified");

        (await FluentActions.Awaiting(() => anchored.RefreshAsync()).Should().ThrowAsync<VaultException>()).Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected);
        await anchored.DisposeAsync();
        (await FluentActions.Awaiting(() => OpenInstanceAsync(configure: o => o.AnchorPath = anchor)).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().Be(VaultErrorCode.RollbackDetected, "the instance's anchor remembers the generation it saw");
    }

    [Fact]
    public async Task The_database_files_hold_no_plaintext_of_any_value_written()
    {
        var a = await OpenInstanceAsync();
        var values = Enumerable.Range(0, 5).Select(i => $"plaintext-canary-{i}-{Guid.NewGuid():N}").ToList();
        for (var i = 0; i < values.Count; i++)
        {
            await a.Secrets.SetSecretAsync($"s{i}", values[i]);
        }

        var octKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        using (var aes = System.Security.Cryptography.Aes.Create())
        {
            aes.Key = octKey;
            await a.Keys.ImportKeyAsync("imported", new KeyVault.Embedded.Keys.JsonWebKey(aes));
        }

        await Cluster.ExecuteAsync("CHECKPOINT");

        var needles = values.Select(Encoding.UTF8.GetBytes).Append(octKey).ToList();
        var scanned = 0L;
        foreach (var file in Directory.EnumerateFiles(Cluster.DataDirectory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (IOException)
            {
                continue; // a file the server removed meanwhile
            }

            scanned += bytes.Length;
            foreach (var needle in needles)
            {
                bytes.AsSpan().IndexOf(needle).Should().Be(-1, $"{file} (table files, the WAL) must not hold a value in the clear");
            }
        }

        scanned.Should().BeGreaterThan(1_000_000, "the scan read the cluster's files, the WAL among them");
        (await a.Secrets.GetSecretAsync("s4")).Value.Should().Be(values[4]);
    }

    private string Row(string key) => $"vault = '{VaultName}' AND key = '{key}'";
}
