using KeyVault.Embedded.Storage;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Integrity;

/// <summary>
/// A reader that looked a record up, then read it while a commit changed it, then found the manifest listing the same
/// hash again (the record changed and changed back: a delete, then a recover) reads it again instead of calling the
/// bytes of the state in between damage.
/// </summary>
public sealed class ChangedAndChangedBackTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly InMemoryRecordStore _store = new();

    [Fact]
    public async Task A_record_read_in_a_state_that_was_changed_back_is_read_again_not_reported_as_damage()
    {
        var stale = new StaleOnceStore(_store);
        var options = TestVaults.Options(_dir.File("vault.db"), TestVaults.NewKey());
        options.StoreFactory = _ => stale;
        await using var vault = await EmbeddedVault.OpenAsync(options);
        await vault.Secrets.SetSecretAsync("s", "v");
        var active = _store.Records["secrets/s"].ToArray();
        await vault.Secrets.StartDeleteSecretAsync("s");
        var deleted = _store.Records["secrets/s"].ToArray();
        await vault.Secrets.StartRecoverDeletedSecretAsync("s");
        _store.Records["secrets/s"].Should().Equal(active, "a recover puts the object record back as it was (the premise of this test)");
        vault.Core.Cache.Clear();

        // The next read of the object record gets the deleted state's bytes, as a read racing the delete and recover would.
        stale.Next = deleted;
        (await vault.Secrets.GetSecretAsync("s")).Value.Should().Be("v");
        stale.Served.Should().BeTrue("the stale bytes were read");

        // Bytes that stay wrong are still damage.
        _store.Records["secrets/s"] = deleted;
        vault.Core.Cache.Clear();
        await FluentActions.Awaiting(() => vault.Secrets.GetSecretAsync("s")).Should().ThrowAsync<VaultIntegrityException>();
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Serves <see cref="Next"/> once, for the next read of the record whose key is <c>secrets/s</c>.</summary>
    private sealed class StaleOnceStore(InMemoryRecordStore inner) : IRecordStore
    {
        public byte[]? Next { get; set; }

        public bool Served { get; private set; }

        public string Location => inner.Location;

        public async ValueTask<StoredRecord?> ReadAsync(long id, CancellationToken cancellationToken = default) => Stale(await inner.ReadAsync(id, cancellationToken));

        public async ValueTask<IReadOnlyDictionary<long, StoredRecord>> ReadManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
            (await inner.ReadManyAsync(ids, cancellationToken)).ToDictionary(p => p.Key, p => Stale(p.Value)!);

        public ValueTask<IReadOnlyList<StoredRecord>> ReadRangeAsync(long first, long last, CancellationToken cancellationToken = default) => inner.ReadRangeAsync(first, last, cancellationToken);

        public ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) => inner.IsEmptyAsync(cancellationToken);

        public ValueTask CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default) => inner.CommitAsync(commit, cancellationToken);

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private StoredRecord? Stale(StoredRecord? record)
        {
            if (record is not null && Next is { } bytes && record.Key == "secrets/s")
            {
                Next = null;
                Served = true;
                return new StoredRecord(record.Id, record.Key, bytes);
            }

            return record;
        }
    }
}
