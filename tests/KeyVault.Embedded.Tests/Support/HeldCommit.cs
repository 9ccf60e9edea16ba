namespace KeyVault.Embedded.Tests.Support;

/// <summary>Lines writers up behind a commit held at a <see cref="SpyRecordStore"/>'s gate, so that they form the next group commit.</summary>
internal static class HeldCommit
{
    /// <summary>
    /// Starts one write whose commit is held at the store's gate, then <paramref name="count"/> more, and returns once
    /// all of those are waiting for the write lock, in order (each is waiting before the next starts).
    /// </summary>
    public static async Task<((TaskCompletionSource Open, Task Task) First, Task[] Others)> QueueAsync(EmbeddedVault vault, SpyRecordStore store, int count, Func<int, Task> write)
    {
        var gate = store.HoldNextCommit();
        var first = vault.Secrets.SetSecretAsync("first", "v");
        await store.AtGate.Task;
        var others = new Task[count];
        for (var n = 0; n < count; n++)
        {
            var waiting = vault.Core.Writer.Waiting;
            var index = n;
            others[n] = Task.Run(() => write(index));
            SpinWait.SpinUntil(() => vault.Core.Writer.Waiting == waiting + 1, TimeSpan.FromSeconds(30)).Should().BeTrue("writer {0} reaches the lock", n);
        }

        return ((gate, first), others);
    }
}
