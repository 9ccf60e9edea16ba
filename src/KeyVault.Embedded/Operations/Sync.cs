namespace KeyVault.Embedded.Operations;

/// <summary>
/// Waits for a <see cref="ValueTask{T}"/> from a synchronous caller (a cryptography client's operation, a synchronous
/// API). With the embedded store every such task has completed already, so this returns at once; a store that does
/// real I/O (a database) makes the caller wait, as a synchronous Azure SDK call waits for its HTTP response.
/// </summary>
internal static class Sync
{
    public static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    public static void Wait(Task task) => task.GetAwaiter().GetResult();

    /// <summary>A listing for a synchronous caller: the vault's listings are read whole inside one operation.</summary>
    public static IEnumerable<T> Enumerate<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken) =>
        source.ToBlockingEnumerable(cancellationToken);
}
