using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Storage;

/// <summary>A call that changed the vault has reached the disk when it returns: the log is fsynced after its last write.</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingFiles _files = new();
    private EmbeddedVault _vault = null!;

    public async Task InitializeAsync()
    {
        _vault = await _files.OpenVaultAsync(_dir.File("vault.db"));
    }

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Creating_the_vault_flushed_its_first_commit()
    {
        _files.Log.Events.Should().Contain("write");
        _files.Log.Events[^1].Should().Be("fsync");
    }

    [Fact]
    public async Task Every_write_call_returns_only_after_the_log_is_flushed_to_disk()
    {
        var secrets = _vault.Secrets;
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("set", () => secrets.SetSecretAsync("s", "v1")),
            ("set again", () => secrets.SetSecretAsync("s", "v2")),
            ("update", () => secrets.UpdateSecretPropertiesAsync(new SecretProperties("s") { ContentType = "x" })),
            ("delete", () => secrets.StartDeleteSecretAsync("s")),
            ("recover", () => secrets.StartRecoverDeletedSecretAsync("s")),
            ("delete again", () => secrets.StartDeleteSecretAsync("s")),
            ("purge", () => secrets.PurgeDeletedSecretAsync("s")),
            ("enable purge protection", () => _vault.EnablePurgeProtectionAsync()),
            ("rotate key-encryption key", () => _vault.RotateKeyEncryptionKeyAsync()),
        };

        foreach (var (name, call) in calls)
        {
            var before = _files.Log.Events.Count;

            await call();

            var events = _files.Log.Events.Skip(before).ToList();
            events.Should().Contain("write", $"'{name}' commits to the log");
            events[^1].Should().Be("fsync", $"'{name}' must not return before its commit is on disk");
        }
    }

    [Fact]
    public async Task Reads_write_nothing()
    {
        await _vault.Secrets.SetSecretAsync("s", "v");
        var before = _files.Log.Events.Count + _files.Data.Events.Count;

        await _vault.Secrets.GetSecretAsync("s");
        await _vault.Secrets.GetPropertiesOfSecretsAsync().ToListAsync();
        await _vault.Secrets.GetPropertiesOfSecretVersionsAsync("s").ToListAsync();

        (_files.Log.Events.Count + _files.Data.Events.Count).Should().Be(before);
    }

    [Fact]
    public async Task Purge_checkpoints_into_a_flushed_data_file_before_returning()
    {
        await _vault.Secrets.SetSecretAsync("s", "v");
        await _vault.Secrets.StartDeleteSecretAsync("s");
        var before = _files.Data.Events.Count;

        await _vault.Secrets.PurgeDeletedSecretAsync("s");

        var events = _files.Data.Events.Skip(before).ToList();
        events.Should().Contain("write");
        events[^1].Should().Be("fsync");
        new FileInfo(Files.LogOf(_dir.File("vault.db"))).Length.Should().Be(0, "the checkpoint truncated the log");
    }
}

public sealed class FaultedWriteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_write_whose_fsync_failed_stops_all_writes_until_the_vault_is_reopened()
    {
        var files = new RecordingFiles();
        var options = TestVaults.Options(_dir.File("vault.db"), TestVaults.NewKey());
        options.StoreFactory = files.Open;
        var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("before", "1");

        files.Log.FailNextFlush = true;
        var failed = (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("during", "2")).Should().ThrowAsync<VaultException>()).Which;
        var refused = (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("after", "3")).Should().ThrowAsync<VaultException>()).Which;

        failed.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
        refused.ErrorCode.Should().Be(VaultErrorCode.StorageFailure);
        refused.Message.Should().Contain("reopen");
        (await vault.Secrets.GetSecretAsync("before")).Value.Should().Be("1", "reads go on from storage");
        await vault.DisposeAsync();

        options.StoreFactory = null;
        await using var reopened = await EmbeddedVault.OpenAsync(options);
        await reopened.Secrets.SetSecretAsync("after", "3");
        (await reopened.Secrets.GetSecretAsync("before")).Value.Should().Be("1");
    }

    [Theory]
    [InlineData("log")]
    [InlineData("data")]
    public async Task A_full_disk_is_reported_as_StorageFull_naming_it_and_loses_nothing_acknowledged(string which)
    {
        var files = new RecordingFiles();
        var options = TestVaults.Options(_dir.File("vault.db"), TestVaults.NewKey());
        options.StoreFactory = files.Open;
        var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("before", "1");
        await vault.Secrets.SetSecretAsync("deleted", "x");

        (which == "log" ? files.Log : files.Data).SimulateDiskFull = true;

        // A write to the log fails at once; the data file is written by the checkpoint that a purge forces.
        var full = (await FluentActions.Awaiting(async () =>
        {
            await vault.Secrets.SetSecretAsync("during", "2");
            await vault.Secrets.StartDeleteSecretAsync("deleted");
            await vault.Secrets.PurgeDeletedSecretAsync("deleted");
        }).Should().ThrowAsync<VaultException>()).Which;

        full.ErrorCode.Should().Be(VaultErrorCode.StorageFull);
        full.Status.Should().Be(507);
        full.Message.Should().Contain("full").And.Contain("no space left on device");
        (await vault.Secrets.GetSecretAsync("before")).Value.Should().Be("1", "reads go on");
        (await FluentActions.Awaiting(() => vault.Secrets.SetSecretAsync("after", "3")).Should().ThrowAsync<VaultException>())
            .Which.ErrorCode.Should().BeOneOf(VaultErrorCode.StorageFull, VaultErrorCode.StorageFailure);
        await vault.DisposeAsync();

        options.StoreFactory = null;
        await using var reopened = await EmbeddedVault.OpenAsync(options);
        (await reopened.Secrets.GetSecretAsync("before")).Value.Should().Be("1");
        await reopened.Secrets.SetSecretAsync("after", "3");
    }
}
